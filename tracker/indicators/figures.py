"""Where the plan's numbers stand at a quarter's end: every count from the communes is a query, never a
stored total, and an entered figure is the newest entry of its quarter."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..i18n import N_
from ..plan.models import Agency, Plan
from .models import Commune, CommuneCriterion, Indicator, IndicatorEntry

CRITERIA = tuple(range(1, 20))
# Communes by criteria met, in the plan's own bands (section I.1), and those below the lowest one.
BANDS = (("19", 19, 19), ("15-18", 15, 18), ("10-14", 10, 14), ("5-9", 5, 9), ("0-4", 0, 4))
BAND_LABELS = {"19": N_("Đạt 19 tiêu chí"), "15-18": N_("Đạt 15–18 tiêu chí"), "10-14": N_("Đạt 10–14 tiêu chí"),
               "5-9": N_("Đạt 5–9 tiêu chí"), "0-4": N_("Dưới 5 tiêu chí")}


def quarter_end(year: int, quarter: int) -> date:
    """The last day of a quarter."""
    return date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def counted_to(year: int, quarter: int, today: date | None) -> date:
    """The day a quarter's figures are counted to: its last day, or today while it has not ended (a page
    never states the figures of a day not yet come). Without today, the quarter's last day."""
    end = quarter_end(year, quarter)
    return end if today is None else min(end, today)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    """The quarter before, across a year's turn."""
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def quarters_up_to(year: int, quarter: int, count: int) -> list[tuple[int, int]]:
    """The `count` quarters ending with this one, oldest first."""
    found = [(year, quarter)]
    while len(found) < count:
        found.insert(0, previous_quarter(*found[0]))
    return found


def quarter_of(day: date) -> int:
    """The quarter (1–4) a date falls in."""
    return (day.month - 1) // 3 + 1


def _in_force(day):
    """The rows that hold on `day` (a date, or a column of dates): begun on or before it, not yet ended."""
    return sa.and_(CommuneCriterion.since <= day,
                   sa.or_(CommuneCriterion.until.is_(None), CommuneCriterion.until > day))


def met_on(day: date):
    """(commune_id, criterion) of every criterion met on the day."""
    return (sa.select(CommuneCriterion.commune_id, CommuneCriterion.criterion)
            .where(CommuneCriterion.met.is_(True), _in_force(day)).subquery("met"))


def criteria_met_per_commune(day: date):
    """Every commune with how many criteria it meets on the day (0 for one with none)."""
    counted = (sa.select(CommuneCriterion.commune_id, sa.func.count().label("n"))
               .where(CommuneCriterion.met.is_(True), _in_force(day))
               .group_by(CommuneCriterion.commune_id).subquery())
    return (sa.select(Commune.id.label("commune_id"), Commune.district_id, Commune.border,
                      sa.func.coalesce(counted.c.n, 0).label("n"))
            .outerjoin(counted, counted.c.commune_id == Commune.id).subquery("per_commune"))


def commune_total() -> int:
    """How many communes the tracker knows."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Commune)) or 0


def has_sample() -> bool:
    """True while the shipped sample stands in for the province's list of communes."""
    return db.session.scalar(sa.select(Commune.id).where(Commune.sample.is_(True)).limit(1)) is not None


def criterion_counts(day: date) -> dict[int, int]:
    """Communes meeting each criterion on the day."""
    return standings([day])[day].per_criterion


@dataclass
class Standing:
    """The communes' figures on one day: per criterion, at the standard, averages and the spread."""

    day: date
    communes: int
    per_criterion: dict[int, int]
    standard: int
    average: float | None
    border_average: float | None
    border_communes: int
    bands: dict[str, int]
    recorded: bool = True  # False before the first day any commune's criteria were recorded: nothing is known



def _days(days: list[date]):
    """The days as a one-column table, to count on all of them in one statement."""
    selects = [sa.select(sa.literal(day, sa.Date).label("day")) for day in days]
    return (selects[0] if len(selects) == 1 else sa.union_all(*selects)).subquery("days")


def standings(days: list[date]) -> dict[date, Standing]:
    """Every figure counted from the communes on each of the days, in two statements whatever their number."""
    days = sorted(set(days))
    first = db.session.scalar(sa.select(sa.func.min(CommuneCriterion.since)))
    table = _days(days)
    found = {day: Standing(day, 0, {k: 0 for k in CRITERIA}, 0, None, None, 0, {name: 0 for name, _, _ in BANDS})
             for day in days}
    for day, criterion, count in db.session.execute(
            sa.select(table.c.day, CommuneCriterion.criterion, sa.func.count())
            .join(table, _in_force(table.c.day)).where(CommuneCriterion.met.is_(True))
            .group_by(table.c.day, CommuneCriterion.criterion)):
        found[_as_date(day)].per_criterion[criterion] = count
    per = (sa.select(table.c.day, CommuneCriterion.commune_id, sa.func.count().label("n"))
           .join(table, _in_force(table.c.day)).where(CommuneCriterion.met.is_(True))
           .group_by(table.c.day, CommuneCriterion.commune_id).subquery("per"))
    grid = (sa.select(table.c.day, Commune.border, sa.func.coalesce(per.c.n, 0).label("n"))
            .select_from(table).join(Commune, sa.true())
            .outerjoin(per, sa.and_(per.c.day == table.c.day, per.c.commune_id == Commune.id)).subquery("grid"))
    band = sa.case(*[(grid.c.n.between(low, high), name) for name, low, high in BANDS], else_="0-4")
    totals: dict[date, list[int]] = {day: [0, 0, 0, 0] for day in days}  # communes, criteria met, border ones, theirs
    for day, name, communes, met, border, border_met in db.session.execute(
            sa.select(grid.c.day, band, sa.func.count(), sa.func.sum(grid.c.n),
                      sa.func.count().filter(grid.c.border.is_(True)),
                      sa.func.sum(sa.case((grid.c.border.is_(True), grid.c.n), else_=0)))
            .group_by(grid.c.day, band)):
        day = _as_date(day)
        found[day].bands[name] = communes
        for i, value in enumerate((communes, met, border, border_met)):
            totals[day][i] += int(value or 0)
    for day, (communes, met, border, border_met) in totals.items():
        standing = found[day]
        standing.communes, standing.border_communes = communes, border
        standing.standard = standing.bands["19"]
        standing.average = met / communes if communes else None
        standing.border_average = border_met / border if border else None
        standing.recorded = first is not None and _as_date(first) <= day
    return found


def _as_date(value) -> date:
    # SQLite gives back the literal's text; PostgreSQL a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def standing(day: date) -> Standing:
    """Every figure counted from the communes on the day."""
    return standings([day])[day]


@dataclass
class DistrictRow:
    """One district's communes on a day: how many, at the standard, the average and each criterion's count."""

    district: Agency
    communes: int = 0
    standard: int = 0
    total_met: int = 0
    per_criterion: dict[int, int] = field(default_factory=dict)

    @property
    def average(self) -> float | None:
        """Criteria met per commune."""
        return self.total_met / self.communes if self.communes else None


def districts_on(day: date) -> list[DistrictRow]:
    """Each district with communes: its counts on the day (two grouped queries)."""
    per = criteria_met_per_commune(day)
    rows: dict[int, DistrictRow] = {}
    for agency, communes, standard, total in db.session.execute(
            sa.select(Agency, sa.func.count(), sa.func.count().filter(per.c.n == 19), sa.func.sum(per.c.n))
            .join(per, per.c.district_id == Agency.id).group_by(Agency.id).order_by(Agency.sort_key)):
        rows[agency.id] = DistrictRow(agency, communes, standard, int(total or 0), {k: 0 for k in CRITERIA})
    met = met_on(day)
    for district_id, criterion, count in db.session.execute(
            sa.select(Commune.district_id, met.c.criterion, sa.func.count())
            .join(met, met.c.commune_id == Commune.id).group_by(Commune.district_id, met.c.criterion)):
        rows[district_id].per_criterion[criterion] = count
    return list(rows.values())


@dataclass
class NearCommune:
    """A commune one or two criteria short of the standard."""

    commune: Commune
    met: int
    missing: list[int]


def closest_communes(day: date, district_id: int | None = None, limit: int | None = None) -> list[NearCommune]:
    """The communes missing one or two criteria on the day, fewest missing first."""
    per = criteria_met_per_commune(day)
    query = (sa.select(Commune, per.c.n).join(per, per.c.commune_id == Commune.id)
             .options(joinedload(Commune.district).selectinload(Agency.aliases))
             .where(per.c.n.between(17, 18)).order_by(per.c.n.desc(), Commune.district_id, Commune.name))
    if district_id:
        query = query.where(Commune.district_id == district_id)
    if limit:
        query = query.limit(limit)
    found = db.session.execute(query).all()
    met = met_on(day)
    have: dict[int, set[int]] = {}
    for commune_id, criterion in db.session.execute(
            sa.select(met.c.commune_id, met.c.criterion).where(met.c.commune_id.in_([c.id for c, _ in found]))):
        have.setdefault(commune_id, set()).add(criterion)
    return [NearCommune(c, n, [k for k in CRITERIA if k not in have.get(c.id, set())]) for c, n in found]


def criteria_of(commune_id: int, day: date) -> set[int]:
    """The criteria one commune meets on the day."""
    met = met_on(day)
    return set(db.session.scalars(sa.select(met.c.criterion).where(met.c.commune_id == commune_id)))


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


def district_count() -> int:
    """How many districts the province has (for targets set per district)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(Agency.level == "district")) or 0


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


def indicators_of(plan: Plan) -> list[Indicator]:
    """The plan's indicators in the plan's order."""
    return list(db.session.scalars(sa.select(Indicator).where(Indicator.plan_id == plan.id)
                                   .options(selectinload(Indicator.responsible).selectinload(Agency.aliases),
                                            selectinload(Indicator.tasks))
                                   .order_by(Indicator.position)))


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
        return self.now.day < quarter_end(self.year, self.quarter)

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
                    today: date | None = None) -> QuarterFigures:
    """The plan's indicators at the quarter's end (or on today while it runs) and at the end of the one before
    (`counted`: standings already made)."""
    last_year, last_quarter = previous_quarter(year, quarter)
    day, last_day = counted_to(year, quarter, today), counted_to(last_year, last_quarter, today)
    if not counted or day not in counted or last_day not in counted:
        counted = standings(sorted({day, last_day}))
    now, before = counted[day], counted[last_day]
    entered, earlier = entered_values(plan, year, quarter), entered_values(plan, last_year, last_quarter)
    districts = district_count()
    rows = []
    for indicator in indicators_of(plan):
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


def criterion_trend(quarters: list[tuple[int, int]], counted: dict[date, Standing] | None = None,
                    today: date | None = None) -> list[tuple[tuple[int, int], dict[int, int], int]]:
    """For each quarter's end (today for the running one; nothing for one not begun): communes per criterion
    and at the standard (two statements in all)."""
    days = {q: counted_to(*q, today) for q in quarters}
    counted = counted or standings(sorted(set(days.values())))
    out = []
    for q in quarters:
        found = counted[days[q]]
        known = found.recorded and (today is None or quarter_start(*q) <= today)
        out.append((q, found.per_criterion if known else None, found.standard if known else None))
    return out


def quarter_start(year: int, quarter: int) -> date:
    """The first day of a quarter."""
    return date(year, 3 * quarter - 2, 1)


def standard_count(day: date) -> int:
    """Communes meeting all 19 criteria on the day."""
    return standing(day).standard


def default_quarter(plan: Plan, today: date) -> int:
    """The quarter to show first: today's, within the plan's year; the last one for a past plan."""
    if today.year < plan.year:
        return 1
    if today.year > plan.year:
        return 4
    return quarter_of(today)


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
    if indicator.computed:
        days = {q: counted_to(*(previous_quarter(year, 1) if q == 0 else (year, q)), today) for q in range(0, 5)}
        counted = standings(sorted(set(days.values())))
        values = {q: computed_value(indicator, counted[day])
                  if today is None or q == 0 or quarter_start(year, q) <= today else None for q, day in days.items()}
        for q in range(1, 5):
            out[q] = IndicatorRow(indicator, values[q], values[q - 1], goal=goal)
        return out
    quarters = {q: entered_values(indicator.plan, year, q) for q in range(1, 5)}
    quarters[0] = entered_values(indicator.plan, *previous_quarter(year, 1))
    for q in range(1, 5):
        found = quarters[q]
        out[q] = IndicatorRow(indicator, found.value(indicator), quarters[q - 1].value(indicator),
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
    quarter = quarter_of(as_of) if as_of.year == plan.year else (4 if as_of.year > plan.year else 1)
    before = quarter_end(*previous_quarter(plan.year, quarter))
    entered = sa.select(IndicatorEntry.indicator_id).where(IndicatorEntry.year == plan.year,
                                                           IndicatorEntry.quarter == quarter)
    missing = db.session.scalar(sa.select(sa.func.count()).select_from(Indicator).where(
        Indicator.plan_id == plan.id, Indicator.measure == "value", Indicator.id.not_in(entered))) or 0
    counted = standings([as_of, before])
    per = criteria_met_per_commune(as_of)
    close = db.session.scalar(sa.select(sa.func.count()).where(per.c.n.between(17, 18))) or 0
    standard, average = targets.get("ntm_communes", (None, None)), targets.get("average_criteria", (None, None))
    return Summary(counted[as_of], counted[before], standard[0], average[0], average[1], missing, close, quarter)


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


def round_quarter(period_start: date, kind: str) -> tuple[int, int] | None:
    """The quarter a quarterly round reports on (its figures are asked for with it); None for an ad-hoc round."""
    return (period_start.year, quarter_of(period_start)) if kind == "quarterly" else None
