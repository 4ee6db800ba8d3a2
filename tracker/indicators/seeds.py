"""The plan's numbers from seeds/targets-2021.toml, as indicators of a plan. Idempotent: a second load
updates the plan's wording and targets but keeps the body the office chose to report each figure."""
from __future__ import annotations

from pathlib import Path
import tomllib

import sqlalchemy as sa

from ..extensions import db
from ..plan.models import Agency, Plan, Task
from ..plan.services import find_agency
from .models import Indicator, vn_number

# How each headline aim of section I.1 is known: counted from the communes, or entered each quarter.
HEADLINE_MEASURES = {"ntm_communes": "standard", "average_criteria": "average",
                     "border_communes_criteria": "border_average"}
BAND_NAMES = {"19": "Xã đạt 19 tiêu chí", "15-18": "Xã đạt 15-18 tiêu chí", "10-14": "Xã đạt 10-14 tiêu chí",
              "5-9": "Xã đạt từ 5-9 tiêu chí"}


def read_targets(path: Path) -> dict:
    """The targets file, parsed."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _specs(targets: dict, year: int) -> list[dict]:
    """Every indicator of the file, in the plan's order, as the columns of Indicator."""
    communes = targets["communes"]
    specs = []
    for h in targets["headline"]:
        per_district = h["unit"].endswith("/huyện")  # "mỗi huyện": each district's target, its total entered
        unit = h["unit"].removesuffix("/huyện")
        base = dict(group="headline", text=h["text"], responsible=h.get("responsible"), tasks=h.get("tasks", []),
                    measure=HEADLINE_MEASURES.get(h["key"], "value"), per_district=per_district)
        if h["key"] == "ocop":
            specs.append(base | dict(key="ocop", name=h["name"], unit=unit, target=h["at_least"], bound="at_least"))
            specs.append(base | dict(key="ocop.3", name="Sản phẩm OCOP đạt 3 sao", unit=unit,
                                     target=h["three_star_low"], target_high=h["three_star_high"]))
            specs.append(base | dict(key="ocop.4", name="Sản phẩm OCOP đạt 4 sao cấp tỉnh", unit=unit,
                                     target=h["four_star_low"], target_high=h["four_star_high"]))
            continue
        specs.append(base | dict(
            key=h["key"], name=h["name"], unit=unit,
            target=h.get("target", h.get("low", h.get("at_least"))), target_high=h.get("high"),
            bound="at_least" if "at_least" in h else "", of_total=h.get("of"), added=h.get("added")))
    for d in targets["distribution"]:
        specs.append(dict(key=f"band.{d['band']}", group="headline", measure="band", name=BAND_NAMES[d["band"]],
                          text=f"{BAND_NAMES[d['band']]}: {d['communes']}/{communes} xã", unit="xã",
                          target=d["communes"], of_total=communes, stated_percent=d["percent"],
                          responsible="Văn phòng Điều phối Chương trình xây dựng NTM tỉnh", tasks=["III.1"]))
    for c in targets["criterion"]:
        number = c["number"]
        specs.append(dict(key=f"tc{number:02d}", group="criterion", measure="criterion", criterion=number,
                          name=f"Tiêu chí số {number}: {c['name']}", unit="xã", target=c["target"],
                          of_total=communes, stated_percent=c["percent"], added=c.get("added"),
                          text=(f"Duy trì {c['target']}/{communes} xã đạt tiêu chí" if c.get("maintain") else
                                f"Nâng tổng số xã đạt tiêu chí lên {c['target']}/{communes} xã, chiếm {c['percent']}%"),
                          responsible=c["responsible"], tasks=c.get("tasks", [])))
        for i, aim in enumerate(c.get("aims", []), start=1):
            bound = next((b for b in ("at_least", "about", "more_than") if aim.get(b)), "")
            specs.append(dict(key=f"tc{number:02d}.{i}", group="aim", measure="value", criterion=number,
                              parent=f"tc{number:02d}", name=aim["text"], text=aim["text"], unit=aim["unit"],
                              target=aim["value"], bound=bound, of_total=aim.get("of"),
                              stated_percent=aim.get("percent"), responsible=c["responsible"],
                              tasks=c.get("tasks", [])))
    funding = targets["funding"]
    specs.append(dict(key="funding.total", group="funding", measure="sum", name=f"Tổng nhu cầu vốn năm {year}",
                      text=(f"Tổng nhu cầu các nguồn vốn thực hiện Chương trình năm {year} là "
                            f"{vn_number(funding['total'])} tỷ đồng"),
                      unit=funding["unit"], target=funding["total"],
                      responsible="Văn phòng Điều phối Chương trình xây dựng NTM tỉnh", tasks=["II.1", "II.2"]))
    for s in targets["funding"]["source"]:
        specs.append(dict(key=f"funding.{s['key']}", group="funding", measure="value", name=s["name"], text=s["name"],
                          unit=targets["funding"]["unit"], target=s["amount"], stated_percent=s["percent"],
                          responsible=s.get("responsible"), tasks=s.get("tasks", [])))
    return specs


def load_indicators(plan: Plan, targets: dict) -> int:
    """Create or update the plan's indicators from the targets file; how many it holds."""
    existing = {i.key: i for i in db.session.scalars(sa.select(Indicator).where(Indicator.plan_id == plan.id))}
    tasks = {t.code: t for t in db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id))}
    specs = _specs(targets, plan.year)
    for position, spec in enumerate(specs, start=1):
        indicator = existing.get(spec["key"])
        if indicator is None:
            indicator = existing[spec["key"]] = Indicator(plan=plan, key=spec["key"])
            responsible = find_agency(spec["responsible"]) if spec.get("responsible") else None
            indicator.responsible = responsible if isinstance(responsible, Agency) else None
            db.session.add(indicator)
        indicator.position = position
        indicator.group, indicator.measure = spec["group"], spec["measure"]
        indicator.criterion = spec.get("criterion")
        indicator.name, indicator.text, indicator.unit = spec["name"], spec.get("text", ""), spec["unit"]
        indicator.target, indicator.target_high = spec.get("target"), spec.get("target_high")
        indicator.bound, indicator.per_district = spec.get("bound", ""), spec.get("per_district", False)
        indicator.of_total, indicator.stated_percent = spec.get("of_total"), spec.get("stated_percent")
        indicator.added = spec.get("added")
        indicator.parent = existing.get(spec["parent"]) if spec.get("parent") else None
        indicator.tasks = [tasks[code] for code in spec.get("tasks", []) if code in tasks]
    db.session.flush()
    return len(specs)
