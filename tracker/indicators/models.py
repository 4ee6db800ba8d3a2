"""The plan's numbers: indicators with their targets, the quarterly figures entered for them, and the
communes with the criteria each meets from a date on.

Counts of communes (per criterion, per district, by criteria met) are never stored: they are computed
in SQL from CommuneCriterion (counts.py) for any date; figures.py puts them beside the entered figures
of a quarter.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..extensions import db, enum_column, vocabulary
from ..i18n import N_
from ..plan.models import Agency, Plan, Task
from ..i18n import label as vocab

GROUP_LABELS = {
    "headline": N_("Mục tiêu chung"),
    "criterion": N_("Tiêu chí"),
    "aim": N_("Chỉ tiêu của tiêu chí"),
    "funding": N_("Nguồn vốn"),
}
# How an indicator's actual is known: counted from the communes' criteria, or entered each quarter.
MEASURE_LABELS = {
    "criterion": N_("Số xã đạt tiêu chí (tính từ các xã)"),
    "standard": N_("Số xã đạt chuẩn (tính từ các xã)"),
    "average": N_("Bình quân tiêu chí/xã (tính từ các xã)"),
    "border_average": N_("Bình quân tiêu chí/xã biên giới (tính từ các xã)"),
    "band": N_("Số xã theo nhóm số tiêu chí đạt (tính từ các xã)"),
    "sum": N_("Tổng các nguồn (cộng từ số liệu từng nguồn)"),
    "value": N_("Số liệu nhập hằng quý"),
}
# The units the plan's figures come in; pages show them in the reader's language (exports keep Vietnamese).
UNIT_LABELS = {unit: unit for unit in (
    N_("xã"), N_("thôn"), N_("công trình"), N_("trường"), N_("sản phẩm"), N_("lượt"), N_("người"), N_("lao động"),
    N_("khu dân cư"), N_("vườn mẫu"), N_("tiêu chí/xã"), N_("tỷ đồng"), N_("triệu đồng/người"), N_("điểm %"),
    "km", "ha", "%")}


def unit_label(unit: str) -> str:
    """A unit in the reader's language (a unit the plan does not use is shown as written)."""
    return vocab(unit) if unit in UNIT_LABELS and unit not in ("km", "ha", "%") else unit


COMPUTED = ("criterion", "standard", "average", "border_average", "band", "sum")
IndicatorGroup = vocabulary("IndicatorGroup", GROUP_LABELS)
Measure = vocabulary("Measure", MEASURE_LABELS)

def vn_number(value: float | None, places: int = 2) -> str:
    """A figure as Vietnamese write it in a report: 35.500; 90,6; "" for none."""
    if value is None:
        return ""
    text = f"{round(value, places):,.{places}f}".rstrip("0").rstrip(".") if places else f"{round(value):,}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


indicator_tasks = sa.Table(
    "indicator_task",
    db.metadata,
    sa.Column("indicator_id", sa.ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("task_id", sa.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Indicator(db.Model):
    """A figure the plan aims at for its year: a criterion's communes, an aim with its unit, a funding source."""

    __table_args__ = (sa.UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    group: Mapped[str] = mapped_column(enum_column(IndicatorGroup, "indicator_group"))
    measure: Mapped[str] = mapped_column(enum_column(Measure, "measure"))
    criterion: Mapped[int | None]  # 1–19 for a criterion and its aims
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text, default="")  # the plan's sentence, as it states the aim
    unit: Mapped[str] = mapped_column(sa.String(40))
    # The target as stated: a value, or a range (target .. target_high); "at least"/"about"/"more than".
    target: Mapped[float | None]
    target_high: Mapped[float | None]
    bound: Mapped[str] = mapped_column(sa.String(20), default="")
    per_district: Mapped[bool] = mapped_column(default=False)  # "mỗi huyện": the target is each district's
    of_total: Mapped[int | None]  # the whole a count is part of (181 communes, 156 villages): % is computed
    stated_percent: Mapped[float | None]  # the percentage the plan writes beside the count
    added: Mapped[int | None]  # "có thêm N": the year's increase the plan asks for
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True)

    plan: Mapped[Plan] = relationship()
    parent: Mapped[Indicator | None] = relationship(remote_side=[id])
    responsible: Mapped[Agency | None] = relationship()
    tasks: Mapped[list[Task]] = relationship(secondary=indicator_tasks, order_by=lambda: Task.position)

    @property
    def target_text(self) -> str:
        """The target as the plan writes it, in Vietnamese: "≥ 15 sản phẩm", "2–3 khu dân cư/huyện", "96/181 xã (53%)"."""
        if self.target is None:
            return ""
        text = {"at_least": "≥ ", "about": "khoảng ", "more_than": "trên "}.get(self.bound, "") + vn_number(self.target)
        if self.target_high is not None:
            text += "–" + vn_number(self.target_high)
        if self.of_total:
            text += f"/{self.of_total}"
        text += ("" if self.unit == "%" else " ") + self.unit + ("/huyện" if self.per_district else "")
        if self.stated_percent is not None:
            text += f" ({vn_number(self.stated_percent)}%)"
        return text

    @property
    def computed(self) -> bool:
        """True when the actual is counted from the communes rather than entered."""
        return self.measure in COMPUTED


class IndicatorEntry(db.Model):
    """An actual entered for a quarter (cumulative to the quarter's end); a correction is a new entry,
    so the history of every figure is kept and the newest entry of a quarter is its value. An aim set
    for each district ("mỗi huyện") takes one figure per district: the province's is their sum."""

    __table_args__ = (sa.Index("ix_indicator_entry_quarter", "indicator_id", "year", "quarter", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator.id", ondelete="CASCADE"))
    year: Mapped[int]
    quarter: Mapped[int]
    value: Mapped[float]
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="SET NULL"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)

    indicator: Mapped[Indicator] = relationship()
    district: Mapped[Agency | None] = relationship(foreign_keys=[district_id])
    agency: Mapped[Agency | None] = relationship(foreign_keys=[agency_id])
    entered_by: Mapped[User | None] = relationship()


class Commune(db.Model):
    """A commune (xã) of a district; `sample` marks the shipped sample, never a real commune."""

    __table_args__ = (sa.UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    border: Mapped[bool] = mapped_column(default=False)
    sample: Mapped[bool] = mapped_column(default=False)

    district: Mapped[Agency] = relationship()


class CommuneCriterion(db.Model):
    """From `since` until the day before `until` (or on, while `until` is empty) the commune meets, or does
    not meet, a criterion. Rows are only added: a later row ends the one it follows (services.py keeps
    `until` in step), so the state on any day is a range test and the rows are its history."""

    __table_args__ = (
        sa.CheckConstraint("criterion BETWEEN 1 AND 19", name="criterion_number"),
        sa.Index("ix_commune_criterion_state", "commune_id", "criterion", "since", "id"),
        # Counting on a day reads the rows in force: met, begun on or before it, not yet ended.
        sa.Index("ix_commune_criterion_in_force", "met", "since", "until", "commune_id", "criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("commune.id", ondelete="CASCADE"))
    criterion: Mapped[int]
    since: Mapped[date]
    until: Mapped[date | None]
    met: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)

    commune: Mapped[Commune] = relationship()
    entered_by: Mapped[User | None] = relationship()
