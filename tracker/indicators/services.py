"""Entering the plan's numbers: a quarter's figure, a commune's criteria, a list of communes. Flush, never
commit; every refusal is a FigureError with a message in the reader's language, and changes nothing."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext

from ..extensions import db
from ..plan.models import Agency
from ..plan.services import alias_map
from ..quarters import Quarter
from ..text import fold_key, nfc
from .counts import CRITERIA
from .models import Commune, CommuneCriterion, Indicator, IndicatorEntry, unit_label

MAX_NOTE = 2000
# Units that count whole things: a figure in one of them is a whole number.
WHOLE_UNITS = {"xã", "thôn", "công trình", "trường", "sản phẩm", "lượt", "người", "lao động", "khu dân cư",
               "vườn mẫu", "xã/huyện", "khu dân cư/huyện", "vườn mẫu/huyện"}
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


class FigureError(ValueError):
    """A figure, a commune's criteria or a file that is refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str = "value"):
        super().__init__(message)
        self.field = field


def parse_number(raw: str | None) -> float:
    """A number as Vietnamese write it: "35.500" (thousands), "90,6" (decimal), "1.000,5"; or "90.6"."""
    text = (raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        raise FigureError(gettext("Nhập số liệu."))
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(text):
        text = text.replace(".", "")
    try:
        value = float(text)
    except ValueError:
        raise FigureError(gettext("«%(raw)s» không phải là số; ví dụ 35.500 hoặc 90,6.", raw=(raw or "")[:40])) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise FigureError(gettext("«%(raw)s» không phải là số; ví dụ 35.500 hoặc 90,6.", raw=(raw or "")[:40]))
    return value


def check_value(indicator: Indicator, value: float) -> None:
    """The indicator's rules: never negative, whole for a count, never more than its whole or 100%."""
    if value < 0:
        raise FigureError(gettext("Số liệu không được âm."))
    if indicator.unit in WHOLE_UNITS and value != int(value):
        raise FigureError(gettext("Số %(unit)s phải là số nguyên.", unit=unit_label(indicator.unit)))
    if indicator.of_total is not None and value > indicator.of_total:
        raise FigureError(gettext("Không thể nhiều hơn %(total)s %(unit)s hiện có.", total=indicator.of_total,
                                  unit=unit_label(indicator.unit)))
    if indicator.unit == "%" and value > 100:
        raise FigureError(gettext("Tỷ lệ không thể vượt quá %(max)s%%.", max=100))
    if value >= 1e12:
        raise FigureError(gettext("Số liệu quá lớn."))


def enter_value(indicator: Indicator, year: int, quarter: int, raw: str, note: str, user, today: date,
                district: Agency | None = None) -> IndicatorEntry:
    """Record an entered indicator's figure for a quarter (cumulative to its end); a new entry, never an edit.
    An aim set per district takes each district's own figure (`district`)."""
    if indicator.computed:
        raise FigureError(gettext("Chỉ tiêu này được tính từ tiêu chí của các xã; hãy cập nhật tiêu chí từng xã."))
    if year != indicator.plan.year or quarter not in (1, 2, 3, 4):
        raise FigureError(gettext("Chọn một quý của năm %(year)s.", year=indicator.plan.year), "quarter")
    if not Quarter(year, quarter).begun_by(today):
        raise FigureError(gettext("Quý %(quarter)s/%(year)s chưa bắt đầu.", quarter=quarter, year=year), "quarter")
    if indicator.per_district and (district is None or district.level != "district"):
        raise FigureError(gettext("Chọn huyện, thành phố của số liệu."), "district")
    if not indicator.per_district:
        district = None
    value = parse_number(raw)
    check_value(indicator, value)
    note = nfc(note or "").strip()
    if len(note) > MAX_NOTE:
        raise FigureError(gettext("Ghi chú dài quá %(n)s ký tự.", n=MAX_NOTE), "note")
    entry = IndicatorEntry(indicator=indicator, year=year, quarter=quarter, value=value, note=note,
                           district=district, agency_id=user.agency_id, entered_by=user)
    db.session.add(entry)
    db.session.flush()
    return entry


def set_responsible(indicator: Indicator, agency: Agency | None) -> None:
    """The office names the body that reports an indicator."""
    indicator.responsible = agency
    db.session.flush()


def set_criteria(commune: Commune, since: date, met: set[int], note: str, user, today: date) -> int:
    """From `since` on the commune meets exactly `met`: a row for each criterion that changes; how many."""
    if since > today:
        raise FigureError(gettext("Không ghi nhận trước cho ngày chưa đến."), "since")
    if since.year < 2010:
        raise FigureError(gettext("Ngày quá xa; chương trình bắt đầu từ năm 2010."), "since")
    if not met <= set(CRITERIA):
        raise FigureError(gettext("Chỉ có các tiêu chí từ 1 đến 19."), "met")
    note = nfc(note or "").strip()
    if len(note) > MAX_NOTE:
        raise FigureError(gettext("Ghi chú dài quá %(n)s ký tự.", n=MAX_NOTE), "note")
    history: dict[int, list[CommuneCriterion]] = {}
    if commune.id:
        for row in db.session.scalars(sa.select(CommuneCriterion).where(CommuneCriterion.commune_id == commune.id)):
            history.setdefault(row.criterion, []).append(row)
    changed = 0
    for k in CRITERIA:
        rows = history.get(k, [])
        holding = [r for r in rows if r.since <= since and (r.until is None or r.until > since)]
        if (k in met) == any(r.met for r in holding):
            continue
        later = [r.since for r in rows if r.since > since]
        for row in holding:  # it ends where the new one begins (the same day: a correction replaces it)
            row.until = since
        db.session.add(CommuneCriterion(commune=commune, criterion=k, since=since, until=min(later, default=None),
                                        met=k in met, note=note, entered_by=user))
        changed += 1
    db.session.flush()
    return changed


def criterion_history(commune: Commune) -> list[CommuneCriterion]:
    """Every change recorded for a commune, newest first."""
    return list(db.session.scalars(sa.select(CommuneCriterion).where(CommuneCriterion.commune_id == commune.id)
                                   .order_by(CommuneCriterion.since.desc(), CommuneCriterion.id.desc())))


# The import file: one row per commune and date, with the criteria it meets on that date ("x" or 1).
COLUMNS = ("huyện", "xã", "biên giới", "ngày")
_YES = {"x", "1", "có", "co", "đạt", "dat", "yes", "true"}
_NO = {"", "0", "không", "khong", "no", "false", "-"}


@dataclass
class CommuneImport:
    """What a file holds, or why it cannot be taken."""

    rows: list[tuple[int, str, str, bool, date, set[int], str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def read_communes(table: list[list[str]], today: date) -> CommuneImport:
    """Check every row of a communes file; the problems name their row, in Vietnamese."""
    found = CommuneImport()
    if not table:
        found.problems.append("Tệp rỗng.")
        return found
    header = [fold_key(cell) for cell in table[0]]
    place = {name: header.index(fold_key(name)) if fold_key(name) in header else None for name in COLUMNS}
    criteria = {k: header.index(f"tc{k}") if f"tc{k}" in header else None for k in CRITERIA}
    lacking = [name for name, at in place.items() if at is None and name != "biên giới"]
    lacking += [f"TC{k}" for k, at in criteria.items() if at is None]
    if lacking:
        found.problems.append(f"Thiếu cột: {', '.join(lacking)}. Cột cần có: Huyện, Xã, Biên giới, Ngày, TC1 … TC19.")
        return found
    note_at = header.index(fold_key("ghi chú")) if fold_key("ghi chú") in header else None
    districts = alias_map()
    for number, row in enumerate(table[1:], start=2):
        cells = row + [""] * (len(table[0]) - len(row))
        if not any(cell.strip() for cell in cells):
            continue
        district, name = nfc(cells[place["huyện"]]).strip(), nfc(cells[place["xã"]]).strip()
        day = _date(cells[place["ngày"]])
        problems = []
        if fold_key(district) not in districts:
            problems.append(f"huyện «{district[:60]}» không có trong danh sách cơ quan")
        if not name or len(name) > 200:
            problems.append("thiếu tên xã" if not name else "tên xã quá dài")
        if day is None:
            problems.append(f"ngày «{cells[place['ngày']][:20]}» không hợp lệ (dùng dd/mm/yyyy)")
        elif day > today:
            problems.append(f"ngày {day:%d/%m/%Y} chưa đến")
        met = set()
        for k, at in criteria.items():
            mark = fold_key(cells[at])
            if mark in _YES:
                met.add(k)
            elif mark not in _NO:
                problems.append(f"TC{k}: «{cells[at][:10]}» (ghi x nếu đạt, để trống nếu chưa)")
        border = place["biên giới"] is not None and fold_key(cells[place["biên giới"]]) in _YES
        note = nfc(cells[note_at]).strip()[:MAX_NOTE] if note_at is not None else ""
        if problems:
            found.problems.append(f"Dòng {number}: " + "; ".join(problems) + ".")
        else:
            found.rows.append((number, districts[fold_key(district)], name, border, day, met, note))
    if not found.rows and not found.problems:
        found.problems.append("Tệp không có dòng xã nào.")
    return found


@dataclass
class ImportSummary:
    """What an import did."""

    communes: int = 0
    created: int = 0
    changes: int = 0
    removed_sample: int = 0


def import_communes(checked: CommuneImport, user, today: date, *, sample: bool = False) -> ImportSummary:
    """Take a checked communes file: create the communes it names and record each row's criteria on its date.

    A real list replaces the shipped sample: the sample's communes go first. Re-importing the same file
    changes nothing.
    """
    summary = ImportSummary()
    if not sample:
        summary.removed_sample = db.session.execute(sa.delete(Commune).where(Commune.sample.is_(True))).rowcount
    districts = {a.name: a for a in db.session.scalars(sa.select(Agency).where(Agency.level == "district"))}
    by_key = {(c.district_id, c.name): c for c in db.session.scalars(sa.select(Commune))}
    for number, district_name, name, border, day, met, note in sorted(checked.rows, key=lambda r: (r[4], r[0])):
        district = districts.get(district_name)
        if district is None:
            raise FigureError(f"Dòng {number}: «{district_name}» không phải là huyện, thành phố.", "file")
        commune = by_key.get((district.id, name))
        if commune is None:
            commune = by_key[(district.id, name)] = Commune(district=district, name=name, border=border, sample=sample)
            db.session.add(commune)
            db.session.flush()
            summary.created += 1
        commune.border = border
        summary.changes += set_criteria(commune, day, met, note, user, today)
    summary.communes = len({(r[1], r[2]) for r in checked.rows})
    return summary


def import_file(path: Path, user, today: date, *, sample: bool = False) -> ImportSummary:
    """Read, check and take a communes file (CSV or XLSX): all of it, or FigureError listing every problem."""
    from ..plan.appendix import AppendixError, read_rows

    try:
        table = read_rows(path)
    except AppendixError as exc:
        raise FigureError(str(exc), "file") from exc
    checked = read_communes(table, today)
    if checked.problems:
        raise FigureError("\n".join(checked.problems[:50]), "file")
    return import_communes(checked, user, today, sample=sample)
