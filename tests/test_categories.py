"""The five categories of Vietnamese practice (and "ongoing"), for lines and tasks, on any date."""
from datetime import date

import pytest

from tracker.progress.categories import LineFacts, deadline_of, line_category, task_category

DUE = date(2021, 3, 31)
NOT_STARTED = LineFacts("not_started", None, None)
STARTED = LineFacts("in_progress", date(2021, 2, 1), None)
DONE_EARLY = LineFacts("done", date(2021, 2, 1), date(2021, 3, 20))
DONE_LATE = LineFacts("done", date(2021, 2, 1), date(2021, 4, 10))
PAUSED = LineFacts("paused", date(2021, 2, 1), None)


@pytest.mark.parametrize(("line", "deadline", "as_of", "expected"), [
    (NOT_STARTED, DUE, date(2021, 1, 10), "not_started"),
    (NOT_STARTED, DUE, DUE, "not_started"),  # the deadline day itself is still within the deadline
    (NOT_STARTED, DUE, date(2021, 4, 1), "overdue"),
    (STARTED, DUE, date(2021, 2, 15), "in_progress"),
    (STARTED, DUE, date(2021, 1, 15), "not_started"),  # before it started
    (STARTED, DUE, date(2021, 4, 1), "overdue"),
    (PAUSED, DUE, date(2021, 3, 1), "in_progress"),
    (PAUSED, DUE, date(2021, 5, 1), "overdue"),
    (DONE_EARLY, DUE, date(2021, 3, 25), "done_on_time"),
    (DONE_EARLY, DUE, date(2021, 12, 31), "done_on_time"),
    (DONE_EARLY, DUE, date(2021, 3, 10), "in_progress"),  # not yet done on that date
    (DONE_LATE, DUE, date(2021, 4, 5), "overdue"),
    (DONE_LATE, DUE, date(2021, 4, 10), "done_late"),
    (NOT_STARTED, None, date(2021, 6, 1), "ongoing"),
    (STARTED, None, date(2021, 6, 1), "ongoing"),
    (DONE_EARLY, None, date(2021, 6, 1), "done_on_time"),
])
def test_line_category(line, deadline, as_of, expected):
    assert line_category(line, deadline, as_of) == expected


@pytest.mark.parametrize(("lines", "as_of", "expected"), [
    ([], date(2021, 2, 1), "not_started"),
    ([], date(2021, 5, 1), "overdue"),
    ([DONE_EARLY, DONE_EARLY], date(2021, 4, 1), "done_on_time"),
    ([DONE_EARLY, DONE_LATE], date(2021, 5, 1), "done_late"),
    ([DONE_EARLY, NOT_STARTED], date(2021, 3, 25), "in_progress"),  # one body done is progress, not done
    ([DONE_EARLY, NOT_STARTED], date(2021, 4, 1), "overdue"),
    ([NOT_STARTED, NOT_STARTED], date(2021, 3, 1), "not_started"),
    ([STARTED, NOT_STARTED], date(2021, 3, 1), "in_progress"),
])
def test_task_category_is_derived_from_lines(lines, as_of, expected):
    assert task_category(lines, DUE, as_of) == expected


def test_task_without_fixed_deadline_is_ongoing_until_every_body_is_done():
    assert task_category([STARTED, DONE_EARLY], None, date(2021, 12, 1)) == "ongoing"
    assert task_category([DONE_EARLY], None, date(2021, 12, 1)) == "done_on_time"


@pytest.mark.parametrize(("kind", "expected"), [
    ("quarter", DUE), ("month", DUE), ("ongoing", None), ("recurring", None), ("periodic", None),
])
def test_deadline_of(kind, expected):
    assert deadline_of(kind, DUE) == expected
