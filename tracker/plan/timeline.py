"""Parse the appendix's timeline phrases ("Quý I, II", "Tháng 3-10", "Thường xuyên"…) into schedules."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date

from ..i18n import N_
from ..quarters import ROMAN, Quarter
from ..text import fold

# Kinds of schedule, with their Vietnamese labels for pages.
KIND_LABELS = {
    "quarter": N_("Theo quý"),
    "month": N_("Theo tháng"),
    "recurring": N_("Định kỳ"),
    "ongoing": N_("Thường xuyên"),
    "periodic": N_("Định kỳ và đột xuất"),
    "per_plan": N_("Theo kế hoạch được duyệt"),
    "unclear": N_("Chưa rõ thời hạn"),
}
KINDS = tuple(KIND_LABELS)
# Kinds whose dates come later or were not legible: the coordination office must set them.
NEEDS_DATE_KINDS = frozenset({"per_plan", "unclear"})
# Schedules that have no single deadline to be early or late against.
NO_DEADLINE_KINDS = frozenset({"ongoing", "recurring", "periodic"})


@dataclass(frozen=True)
class Schedule:
    """What a timeline phrase means for a given plan year."""

    kind: str
    start: date | None = None
    due: date | None = None
    recurrence: str | None = None  # monthly | quarterly | semiannual | periodic_adhoc

    def occurrence_due(self, today: date) -> date | None:
        """The end of the period that contains today, for a recurring schedule; else the due date."""
        if self.kind != "recurring" or self.due is None:
            return self.due
        months = {"monthly": 1, "quarterly": 3, "semiannual": 6}[self.recurrence or "quarterly"]
        if today > self.due:
            return self.due
        if today < self.start:
            today = self.start
        last_month = ((today.month - 1) // months + 1) * months
        return _month_end(today.year, last_month)

    @property
    def needs_date(self) -> bool:
        """True when nobody can tell the deadline from the phrase."""
        return self.kind in NEEDS_DATE_KINDS


_ROMAN = {numeral.lower(): number for number, numeral in ROMAN.items()}  # the phrase is folded to lower case
_QUARTER = r"(?:iv|iii|ii|i|[1-4])"
_YEAR_SUFFIX = r"(?:\s*(?:/|nam)\s*(?P<year>\d{4}))?"
_QUARTER_RE = re.compile(
    rf"^quy\s+(?P<list>{_QUARTER}(?:\s*(?:,|-|va|den)\s*(?:quy\s+)?{_QUARTER})*){_YEAR_SUFFIX}$"
)
_MONTH_RE = re.compile(
    rf"^thang\s+(?P<a>\d{{1,2}})(?:\s*(?:-|den)\s*(?:thang\s+)?(?P<b>\d{{1,2}}))?{_YEAR_SUFFIX}$"
)
_FIXED = {
    "thuong xuyen": Schedule("ongoing"),
    "ca nam": Schedule("ongoing"),
    "hang thang": Schedule("recurring", recurrence="monthly"),
    "hang quy": Schedule("recurring", recurrence="quarterly"),
    "dinh ky hang quy": Schedule("recurring", recurrence="quarterly"),
    "6 thang": Schedule("recurring", recurrence="semiannual"),
    "06 thang": Schedule("recurring", recurrence="semiannual"),
    "6 thang mot lan": Schedule("recurring", recurrence="semiannual"),
    "dinh ky 6 thang": Schedule("recurring", recurrence="semiannual"),
    "dinh ky va dot xuat": Schedule("periodic", recurrence="periodic_adhoc"),
    "dinh ky, dot xuat": Schedule("periodic", recurrence="periodic_adhoc"),
}
_PER_PLAN_RE = re.compile(r"^theo ke hoach(?: (?:da )?(?:duoc )?(?:phe duyet|duyet))?$")


def _quarter_number(token: str) -> int:
    return int(token) if token.isdigit() else _ROMAN[token]


def _quarters(listing: str) -> list[int]:
    """Expand "i, ii", "i-iii", "ii den iv" into quarter numbers."""
    parts = re.findall(rf"{_QUARTER}|-|den", re.sub(r"quy\s+", "", listing))
    numbers: list[int] = []
    range_open = False
    for part in parts:
        if part in ("-", "den"):
            range_open = True
            continue
        number = _quarter_number(part)
        if range_open and numbers:
            numbers.extend(range(numbers[-1] + 1, number + 1))
        else:
            numbers.append(number)
        range_open = False
    return numbers


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_timeline(text: str | None, year: int) -> Schedule:
    """Turn a timeline phrase into a Schedule for the plan year; anything unknown is "unclear"."""
    phrase = fold(text).replace("–", "-").replace("—", "-").strip(" .;")
    phrase = re.sub(r"\s*([,\-/])\s*", lambda m: m.group(1) + (" " if m.group(1) == "," else ""), phrase)
    phrase = phrase.replace(" -", "-").replace("- ", "-")
    if not phrase:
        return Schedule("unclear")
    if phrase in _FIXED:
        schedule = _FIXED[phrase]
        if schedule.kind == "recurring":
            # A recurring duty spans the plan year; each occurrence falls due at its period's end.
            return replace(schedule, start=date(year, 1, 1), due=date(year, 12, 31))
        return schedule
    if _PER_PLAN_RE.match(phrase):
        return Schedule("per_plan")

    match = _QUARTER_RE.match(phrase)
    if match:
        quarters = _quarters(match.group("list"))
        plan_year = int(match.group("year") or year)
        if quarters == sorted(set(quarters)) and quarters:
            first, last = quarters[0], quarters[-1]
            return Schedule("quarter", start=Quarter(plan_year, first).start, due=Quarter(plan_year, last).end)
        return Schedule("unclear")

    match = _MONTH_RE.match(phrase)
    if match:
        first = int(match.group("a"))
        last = int(match.group("b") or first)
        plan_year = int(match.group("year") or year)
        if 1 <= first <= last <= 12:
            return Schedule("month", start=date(plan_year, first, 1), due=_month_end(plan_year, last))
    return Schedule("unclear")
