"""The communes counted on a day, in SQL: each criterion's newest row on or before the day decides, never a
stored total. Per criterion, at the standard, by band, by district, and the communes close to it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..changes import kept
from ..extensions import db
from ..i18n import N_
from ..plan.models import Agency
from .models import Commune, CommuneCriterion

CRITERIA = tuple(range(1, 20))
STANDARD = len(CRITERIA)  # a commune meeting every one of the 19 criteria is at the standard (đạt chuẩn NTM)
# "Close to the standard": one or two criteria short (17–18 met), as the dashboard tile and the communes page say.
CLOSE = (STANDARD - 2, STANDARD - 1)
# Communes by criteria met, in the plan's own bands (section I.1), and those below the lowest one.
BANDS = (("19", 19, 19), ("15-18", 15, 18), ("10-14", 10, 14), ("5-9", 5, 9), ("0-4", 0, 4))
BAND_LABELS = {"19": N_("Đạt 19 tiêu chí"), "15-18": N_("Đạt 15–18 tiêu chí"), "10-14": N_("Đạt 10–14 tiêu chí"),
               "5-9": N_("Đạt 5–9 tiêu chí"), "0-4": N_("Dưới 5 tiêu chí")}


def close_to_standard(met):
    """The condition "one or two criteria short of the standard" on a column counting a commune's criteria met."""
    return met.between(*CLOSE)


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


def district_count() -> int:
    """How many districts the province has (for targets set per district)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(Agency.level == "district")) or 0


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


def standard_count(day: date) -> int:
    """Communes meeting all 19 criteria on the day."""
    return standing(day).standard


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
            sa.select(Agency, sa.func.count(), sa.func.count().filter(per.c.n == STANDARD), sa.func.sum(per.c.n))
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
             .where(close_to_standard(per.c.n)).order_by(per.c.n.desc(), Commune.district_id, Commune.name))
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


def close_count(day: date) -> int:
    """How many communes are one or two criteria short of the standard on the day."""
    per = criteria_met_per_commune(day)
    return db.session.scalar(sa.select(sa.func.count()).where(close_to_standard(per.c.n))) or 0


def criteria_of(commune_id: int, day: date) -> set[int]:
    """The criteria one commune meets on the day."""
    met = met_on(day)
    return set(db.session.scalars(sa.select(met.c.criterion).where(met.c.commune_id == commune_id)))


def kept_standings(days: list[date], version: tuple) -> dict[date, Standing]:
    """standings(days), kept by the worker for this version of the data (the page and the API share them)."""
    days = sorted(set(days))
    return kept("indicators", ("standings", tuple(days), version), lambda: standings(days))
