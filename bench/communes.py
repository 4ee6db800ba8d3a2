"""A sample of the province's communes whose criteria reproduce the plan's own figures.

    python bench/communes.py > seeds/communes-sample.csv

The plan gives no list of the 181 communes, only counts: for each criterion the communes meeting it at
the end of 2021 (M/181) and how many more that is than at the end of 2020 ("có thêm N xã"); 65 communes
at the new-rural standard at the end of 2020 and 75 at the end of 2021; and the end-of-2021 spread by
criteria met (19; 15–18; 10–14; 5–9). This builds 181 communes with made-up names that say so ("Xã mẫu
…"), spread over the 11 districts, whose criteria at the end of 2020 and at the end of each quarter of
2021 give exactly those counts: the seeds' sample (`flask communes sample`), the benchmark's data
(`quarters=8`) and the tests' expectations come from here. Deterministic.
"""
from __future__ import annotations

import csv
import random
import sys
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DISTRICTS = ["Thành phố Lạng Sơn", "Bắc Sơn", "Bình Gia", "Cao Lộc", "Chi Lăng", "Đình Lập", "Hữu Lũng",
             "Lộc Bình", "Tràng Định", "Văn Lãng", "Văn Quan"]
BORDER_DISTRICTS = {"Cao Lộc", "Đình Lập", "Lộc Bình", "Tràng Định", "Văn Lãng"}  # on the frontier with China
BORDER_COMMUNES = 20  # "20 xã biên giới" of section I.1
CRITERIA = range(1, 20)
# End-of-2021 communes by criteria met, as the plan states it: (lowest, highest, communes); 19 is its own band.
BANDS = [(15, 18, 1), (10, 14, 70), (5, 9, 35)]
HEADER = ["Huyện", "Xã", "Biên giới", "Ngày", *[f"TC{k}" for k in CRITERIA], "Ghi chú"]


@dataclass
class SampleCommune:
    """A sample commune: where it is, and which criteria it meets at the start and the end."""

    district: str
    name: str
    border: bool
    start: set[int]
    end: set[int]
    gained_in: dict[int, int]  # criterion -> the quarter (1…quarters) it is first met


def load_targets() -> dict:
    """The plan's numbers (seeds/targets-2021.toml)."""
    return tomllib.loads((SEEDS / "targets-2021.toml").read_text(encoding="utf-8"))


def _fill(row_sums: list[int], column_sums: dict[int, int]) -> list[set[int]]:
    """A 0/1 matrix with these row and column sums (Gale–Ryser: each column goes to the rows with most room)."""
    room = list(row_sums)
    rows: list[set[int]] = [set() for _ in row_sums]
    for k in sorted(column_sums, key=lambda k: -column_sums[k]):
        chosen = sorted(range(len(room)), key=lambda i: (-room[i], i))[:column_sums[k]]
        if len(chosen) < column_sums[k] or any(room[i] <= 0 for i in chosen):
            raise ValueError(f"no commune left for criterion {k}")
        for i in chosen:
            rows[i].add(k)
            room[i] -= 1
    if any(room):
        raise ValueError("rows not filled")
    return rows


def build(quarters: int = 4, seed: int = 2021) -> list[SampleCommune]:
    """181 sample communes meeting the plan's end-2020 counts at the start and its 2021 targets at the end."""
    targets = load_targets()
    total = targets["communes"]
    ntm_end = next(h for h in targets["headline"] if h["key"] == "ntm_communes")
    end_count = {c["number"]: c["target"] for c in targets["criterion"]}
    added = {c["number"]: c.get("added", 0) for c in targets["criterion"]}
    ntm_now, ntm_new = ntm_end["target"], ntm_end["added"]
    rng = random.Random(seed)

    # The communes below the standard at the end of 2021: rows summing to what the targets leave.
    rest = total - ntm_now
    left = sum(end_count.values()) - 19 * ntm_now
    sums = []
    for low, high, count in BANDS:
        sums += [low] * count
    spare = left - sum(sums)
    highs = [high for _, high, count in BANDS for _ in range(count)]
    while spare:  # raise the rows one criterion at a time, evenly, within their bands
        raised = False
        for j in range(len(sums)):
            if spare and sums[j] < highs[j]:
                sums[j] += 1
                spare -= 1
                raised = True
        if not raised:
            break
    if spare or len(sums) != rest:
        raise ValueError("the plan's distribution cannot hold its criteria counts")
    end_rest = _fill(sums, {k: end_count[k] - ntm_now for k in CRITERIA})

    # The 10 communes reaching the standard in 2021 each lacked two criteria at the start; the rest of
    # each criterion's gain falls on communes still below it.
    gainers = [k for k in CRITERIA if added[k]]
    newly: list[set[int]] = []
    lacking = {k: 0 for k in CRITERIA}
    # A criterion that few communes below the standard will meet must have been lacking in these ten.
    need = {k: max(0, added[k] - (end_count[k] - ntm_now)) for k in CRITERIA}
    for i in range(ntm_new):
        pair = sorted(gainers, key=lambda k: (-need[k], lacking[k] / added[k], k))[:2]
        for k in pair:
            lacking[k] += 1
            need[k] = max(0, need[k] - 1)
        newly.append(set(CRITERIA) - set(pair))
    if any(need.values()):
        raise ValueError("the plan's gains cannot fall on its communes")
    start_rest = [set(row) for row in end_rest]
    for k in CRITERIA:
        owners = [i for i, row in enumerate(start_rest) if k in row]
        rng.shuffle(owners)
        for i in owners[:added[k] - lacking[k]]:
            start_rest[i].discard(k)

    ends = [set(CRITERIA)] * (ntm_now - ntm_new) + [set(CRITERIA)] * ntm_new + end_rest
    starts = [set(CRITERIA)] * (ntm_now - ntm_new) + newly + start_rest
    order = list(range(total))
    rng.shuffle(order)  # mix the standard's communes among the districts
    communes = []
    border_left = BORDER_COMMUNES
    for place, i in enumerate(order):
        district = DISTRICTS[place % len(DISTRICTS)]
        number = place // len(DISTRICTS) + 1
        border = district in BORDER_DISTRICTS and number <= 4 and border_left > 0
        border_left -= border
        gained = {k: rng.randint(1, quarters) for k in ends[i] - starts[i]}
        if ends[i] == set(CRITERIA) and gained:  # the standard is recognised at the year's end
            gained[max(gained)] = quarters
        communes.append(SampleCommune(district, f"Xã mẫu {district} {number:02d}", border, starts[i], ends[i], gained))
    return communes


def quarter_end(year: int, quarter: int) -> date:
    """The last day of a quarter; quarters past the fourth run into the next years."""
    year += (quarter - 1) // 4
    quarter = (quarter - 1) % 4 + 1
    return date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def rows(communes: list[SampleCommune], year: int = 2021, quarters: int = 4) -> list[list[str]]:
    """The import file's rows: every commune at the end of the year before, then each change at a quarter's end."""
    out = []
    for c in communes:
        out.append(_row(c, date(year - 1, 12, 31), c.start, "Hiện trạng cuối năm trước (mẫu)"))
    for q in range(1, quarters + 1):
        for c in communes:
            if q in c.gained_in.values():
                met = c.start | {k for k, at in c.gained_in.items() if at <= q}
                out.append(_row(c, quarter_end(year, q), met, ""))
    return out


def _row(c: SampleCommune, day: date, met: set[int], note: str) -> list[str]:
    return [c.district, c.name, "x" if c.border else "", day.strftime("%d/%m/%Y"),
            *["x" if k in met else "" for k in CRITERIA], note]


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows(build()))


if __name__ == "__main__":
    main()
