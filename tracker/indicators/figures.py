"""The plan's indicators at a quarter's end: an entered figure is the newest entry of its quarter, a computed
one is counted from the communes (`counts`) on the quarter's last day, or on today while it runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..plan.models import Agency, Plan
from ..quarters import Quarter
from .counts import Standing, close_count, district_count, standings
from .models import Indicator, IndicatorEntry


def counted_to(quarter: Quarter, today: date | None) -> date:
    """The day a quarter's figures are counted to: its last day, or today while it has not ended (a page
    never states the figures of a day not yet come). Without today, the quarter's last day."""
    return quarter.end if today is None else min(quarter.end, today)


@dataclass
class Entered:
    """The newest entries of a quarter: one per indicator, or one per district for an aim set per district."""

    province: dict[int, IndicatorEntry] = field(default_factory=dict)
    districts: dict[int, dict[int, IndicatorEntry]] = field(default_factory=dict)  # indicator -> district -> entry

    def value(self, indicator: Indicator) -> float | None:
        """The province's figure: the entry's, or the districts' sum."""
        if indicator.per_district:
            found = self.districts.get(indicator.id)
            return sum(e.value for e in found.values()) if found else None
        entry = self.province.get(indicator.id)
        return entry.value if entry else None


def entered_values(plan: Plan, year: int, quarter: int) -> Entered:
    """The newest entries of the plan's entered indicators for the quarter."""
    newest = (sa.select(sa.func.max(IndicatorEntry.id))
              .join(Indicator, Indicator.id == IndicatorEntry.indicator_id)
              .where(Indicator.plan_id == plan.id, IndicatorEntry.year == year, IndicatorEntry.quarter == quarter)
              .group_by(IndicatorEntry.indicator_id, IndicatorEntry.district_id))
    found = Entered()
    for e in db.session.scalars(sa.select(IndicatorEntry).where(IndicatorEntry.id.in_(newest))
                                .options(selectinload(IndicatorEntry.entered_by))):
        if e.district_id is None:
            found.province[e.indicator_id] = e
        else:
            found.districts.setdefault(e.indicator_id, {})[e.district_id] = e
    return found


@dataclass
class IndicatorRow:
    """An indicator at a quarter's end: its target, this quarter's and last quarter's actual, progress."""

    indicator: Indicator
    actual: float | None
    previous: float | None
    entry: IndicatorEntry | None = None
    goal: float | None = None  # what progress is measured against (a range's low end; ×districts when per district)
    by_district: dict[int, IndicatorEntry] = field(default_factory=dict)  # an aim set per district: its figures

    @property
    def progress(self) -> float | None:
        """Per cent of the goal reached, 0–100."""
        if self.actual is None or not self.goal:
            return None
        return max(0.0, min(100.0, 100 * self.actual / self.goal))

    @property
    def share(self) -> float | None:
        """The actual as a share of its whole (communes of 181, villages of 156), computed, never typed."""
        of = self.indicator.of_total
        return None if self.actual is None or not of else 100 * self.actual / of

    @property
    def missing(self) -> bool:
        """An entered indicator with nothing entered for the quarter."""
        return not self.indicator.computed and self.entry is None and not self.by_district


def computed_value(indicator: Indicator, at: Standing) -> float | None:
    """An indicator counted from the communes, on the standing's day (None without communes or records)."""
    if not at.communes or not at.recorded:
        return None
    if indicator.measure == "criterion":
        return at.per_criterion[indicator.criterion]
    if indicator.measure == "standard":
        return at.standard
    if indicator.measure == "average":
        return at.average
    if indicator.measure == "sum":
        return None  # added up from the group's rows afterwards
    if indicator.measure == "band":
        return at.bands[indicator.key.removeprefix("band.")]
    return at.border_average


def indicators_of(plan: Plan, *, details: bool = True) -> list[Indicator]:
    """The plan's indicators in the plan's order; with details, each with its responsible body and its tasks
    loaded (without, a page names the body from the kept directory and shows no tasks)."""
    statement = sa.select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.position)
    if details:
        statement = statement.options(selectinload(Indicator.responsible).selectinload(Agency.aliases),
                                      selectinload(Indicator.tasks))
    return list(db.session.scalars(statement))


@dataclass
class QuarterFigures:
    """Everything the indicator page, the dashboard, the API and the quarterly report show for a quarter."""

    plan: Plan
    year: int
    quarter: int
    now: Standing
    before: Standing
    rows: list[IndicatorRow]

    @property
    def day(self) -> date:
        """The day the figures are counted to: the quarter's last day, or an earlier one while it runs."""
        return self.now.day

    @property
    def running(self) -> bool:
        """The quarter has not ended on the day its figures are counted to."""
        return not Quarter(self.year, self.quarter).ended_by(self.now.day)

    def group(self, name: str) -> list[IndicatorRow]:
        """The rows of one group (headline, criterion, aim, funding)."""
        return [row for row in self.rows if row.indicator.group == name]

    def aims_of(self, criterion: int) -> list[IndicatorRow]:
        """A criterion's other quantified aims."""
        return [row for row in self.rows if row.indicator.group == "aim" and row.indicator.criterion == criterion]

    @property
    def missing(self) -> list[IndicatorRow]:
        """Entered indicators with no figure for the quarter."""
        return [row for row in self.rows if row.missing]


def quarter_figures(plan: Plan, year: int, quarter: int, counted: dict[date, Standing] | None = None,
                    today: date | None = None, details: bool = True) -> QuarterFigures:
    """The plan's indicators at the quarter's end (or on today while it runs) and at the end of the one before
    (`counted`: standings already made; `details`: as indicators_of)."""
    this = Quarter(year, quarter)
    last = this.previous
    day, last_day = counted_to(this, today), counted_to(last, today)
    if not counted or day not in counted or last_day not in counted:
        counted = standings(sorted({day, last_day}))
    now, before = counted[day], counted[last_day]
    entered, earlier = entered_values(plan, year, quarter), entered_values(plan, last.year, last.number)
    districts = district_count()
    rows = []
    for indicator in indicators_of(plan, details=details):
        goal = indicator.target
        if goal is not None and indicator.per_district:
            goal *= districts
        if indicator.computed:
            rows.append(IndicatorRow(indicator, computed_value(indicator, now), computed_value(indicator, before),
                                     goal=goal))
        else:
            rows.append(IndicatorRow(indicator, entered.value(indicator), earlier.value(indicator),
                                     entered.province.get(indicator.id), goal,
                                     entered.districts.get(indicator.id, {})))
    _add_sums(rows)
    return QuarterFigures(plan, year, quarter, now, before, rows)


def _add_sums(rows: list[IndicatorRow]) -> None:
    """A "sum" indicator (the funding total) adds up the entered figures of its group."""
    for row in rows:
        if row.indicator.measure == "sum":
            parts = [r for r in rows if r.indicator.group == row.indicator.group and r is not row]
            row.actual = _total([r.actual for r in parts])
            row.previous = _total([r.previous for r in parts])


def _total(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None

def criterion_trend(quarters: list[Quarter], counted: dict[date, Standing] | None = None,
                    today: date | None = None) -> list[tuple[Quarter, dict[int, int] | None, int | None]]:
    """For each quarter's end (today for the running one; nothing for one not begun): communes per criterion
    and at the standard (two statements in all)."""
    days = {q: counted_to(q, today) for q in quarters}
    counted = counted or standings(sorted(set(days.values())))
    out = []
    for q in quarters:
        found = counted[days[q]]
        known = found.recorded and (today is None or q.begun_by(today))
        out.append((q, found.per_criterion if known else None, found.standard if known else None))
    return out


def default_quarter(plan: Plan, today: date) -> int:
    """The quarter to show first: today's, within the plan's year; the last one for a past plan."""
    return Quarter.nearest(plan.year, today).number


def indicator_by_quarter(indicator: Indicator, year: int, today: date | None = None) -> dict[int, IndicatorRow]:
    """One indicator at the end of each quarter of the year (today for the running one; nothing counted for
    one not begun), each beside the quarter before."""
    goal = indicator.target
    if goal is not None and indicator.per_district:
        goal *= district_count()
    out: dict[int, IndicatorRow] = {}
    if indicator.measure == "sum":
        return {q: next(r for r in quarter_figures(indicator.plan, year, q, today=today).rows
                        if r.indicator.id == indicator.id) for q in range(1, 5)}
    # 1–4: the year's quarters; 0: the last quarter of the year before, each one's "quarter before".
    quarters = {0: Quarter(year, 1).previous, **{q.number: q for q in Quarter.of_year(year)}}
    if indicator.computed:
        days = {n: counted_to(q, today) for n, q in quarters.items()}
        counted = standings(sorted(set(days.values())))
        values = {n: computed_value(indicator, counted[day])
                  if today is None or n == 0 or quarters[n].begun_by(today) else None for n, day in days.items()}
        for q in range(1, 5):
            out[q] = IndicatorRow(indicator, values[q], values[q - 1], goal=goal)
        return out
    entered = {n: entered_values(indicator.plan, q.year, q.number) for n, q in quarters.items()}
    for q in range(1, 5):
        found = entered[q]
        out[q] = IndicatorRow(indicator, found.value(indicator), entered[q - 1].value(indicator),
                              found.province.get(indicator.id), goal, found.districts.get(indicator.id, {}))
    return out


@dataclass(frozen=True)
class Summary:
    """The plan's numbers in brief, for the dashboard: the communes on a date against the year's targets.
    Plain values only, so a worker may keep it between requests."""

    now: Standing
    before: Standing
    standard_target: float | None
    average_low: float | None
    average_high: float | None
    missing: int  # entered indicators with no figure for the date's quarter
    close: int  # communes one or two criteria short of the standard
    quarter: int


def summary(plan: Plan, as_of: date) -> Summary | None:
    """The brief for a plan on a date (None for a plan without indicators)."""
    targets = {key: (target, high) for key, target, high in db.session.execute(
        sa.select(Indicator.key, Indicator.target, Indicator.target_high)
        .where(Indicator.plan_id == plan.id, Indicator.key.in_(("ntm_communes", "average_criteria"))))}
    if not targets:
        return None
    quarter = Quarter.nearest(plan.year, as_of)
    before = quarter.previous.end
    entered = sa.select(IndicatorEntry.indicator_id).where(IndicatorEntry.year == quarter.year,
                                                           IndicatorEntry.quarter == quarter.number)
    missing = db.session.scalar(sa.select(sa.func.count()).select_from(Indicator).where(
        Indicator.plan_id == plan.id, Indicator.measure == "value", Indicator.id.not_in(entered))) or 0
    counted = standings([as_of, before])
    standard, average = targets.get("ntm_communes", (None, None)), targets.get("average_criteria", (None, None))
    return Summary(counted[as_of], counted[before], standard[0], average[0], average[1], missing,
                   close_count(as_of), quarter.number)


def figures_owed(plan_id: int, year: int, quarter: int, agency_ids=None) -> dict[int, list[Indicator]]:
    """The entered indicators each body still owes for a quarter (body -> indicators, plan order): the
    reporting body its province figure; each district its own figure of an aim set per district. An
    indicator given to no body is owed by none."""
    entries = sa.select(IndicatorEntry.indicator_id, IndicatorEntry.district_id).where(
        IndicatorEntry.year == year, IndicatorEntry.quarter == quarter)
    done = {(i, d) for i, d in db.session.execute(entries)}
    indicators = db.session.scalars(
        sa.select(Indicator).where(Indicator.plan_id == plan_id, Indicator.measure == "value",
                                   Indicator.responsible_id.is_not(None)).order_by(Indicator.position)).all()
    districts = db.session.scalars(sa.select(Agency.id).where(Agency.level == "district")).all() \
        if any(i.per_district for i in indicators) else []
    wanted = set(agency_ids) if agency_ids is not None else None
    owed: dict[int, list[Indicator]] = {}
    for indicator in indicators:
        owers = ([d for d in districts if (indicator.id, d) not in done] if indicator.per_district
                 else [indicator.responsible_id] if (indicator.id, None) not in done else [])
        for body in owers:
            if wanted is None or body in wanted:
                owed.setdefault(body, []).append(indicator)
    return owed


def round_quarter(period_start: date, kind: str) -> Quarter | None:
    """The quarter a quarterly round reports on (its figures are asked for with it); None for an ad-hoc round."""
    return Quarter.of(period_start) if kind == "quarterly" else None
