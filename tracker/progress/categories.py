"""The categories of Vietnamese practice, for a line or a task, on any as-of date. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..i18n import N_

CATEGORY_LABELS = {
    "done_on_time": N_("Hoàn thành đúng hạn"),
    "done_late": N_("Hoàn thành quá hạn"),
    "in_progress": N_("Đang thực hiện trong hạn"),
    "overdue": N_("Quá hạn, chưa hoàn thành"),
    "not_started": N_("Chưa thực hiện"),
    "ongoing": N_("Thường xuyên, không có hạn cố định"),
}
CATEGORIES = tuple(CATEGORY_LABELS)
# Column heads of the dashboard's matrices, where six full labels do not fit a phone.
CATEGORY_SHORT = {
    "done_on_time": N_("Xong đúng hạn"),
    "done_late": N_("Xong quá hạn"),
    "in_progress": N_("Trong hạn"),
    "overdue": N_("Quá hạn"),
    "not_started": N_("Chưa làm"),
    "ongoing": N_("Thường xuyên"),
}
from ..plan.timeline import NO_DEADLINE_KINDS  # noqa: E402,F401  (stated beside the kinds; re-exported)


@dataclass(frozen=True)
class LineFacts:
    """What a category needs to know about one line."""

    status: str
    started_on: date | None
    completed_on: date | None


def deadline_of(kind: str, due: date | None) -> date | None:
    """The date a task is judged against, or None when it has no fixed deadline."""
    return None if kind in NO_DEADLINE_KINDS else due


def status_on(line: LineFacts, as_of: date) -> str:
    """The line's status as it stood on as_of: done and started only count from their dates."""
    if line.status == "done" and line.completed_on and line.completed_on <= as_of:
        return "done"
    if line.started_on and line.started_on <= as_of:
        return "in_progress"
    if line.status in ("in_progress", "paused", "done") and line.started_on is None:
        return "in_progress"
    return "not_started"


def line_category(line: LineFacts, deadline: date | None, as_of: date) -> str:
    """One line's category on as_of, against the task's deadline (None: no fixed deadline)."""
    status = status_on(line, as_of)
    if status == "done":
        late = deadline is not None and line.completed_on is not None and line.completed_on > deadline
        return "done_late" if late else "done_on_time"
    if deadline is None:
        return "ongoing"
    if as_of > deadline:
        return "overdue"
    return "in_progress" if status == "in_progress" else "not_started"


def task_category(lines: list[LineFacts], deadline: date | None, as_of: date) -> str:
    """A task's category, derived from its lines: done only when every body is done."""
    if not lines:
        return line_category(LineFacts("not_started", None, None), deadline, as_of)
    categories = [line_category(line, deadline, as_of) for line in lines]
    if all(c in ("done_on_time", "done_late") for c in categories):
        return "done_late" if "done_late" in categories else "done_on_time"
    if deadline is None:
        return "ongoing"
    if as_of > deadline:
        return "overdue"
    started = any(c != "not_started" for c in categories)
    return "in_progress" if started else "not_started"
