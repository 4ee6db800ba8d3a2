"""The timeline parser: every phrase of the appendix and the obvious variants."""
from datetime import date

import pytest

from tracker.plan.timeline import parse_timeline

Y = 2021
CASES = [
    # phrase, kind, start, due, recurrence
    ("Thường xuyên", "ongoing", None, None, None),
    ("THƯỜNG XUYÊN", "ongoing", None, None, None),
    ("thuong xuyen", "ongoing", None, None, None),
    ("  Thường   xuyên. ", "ongoing", None, None, None),
    ("Quý I", "quarter", date(Y, 1, 1), date(Y, 3, 31), None),
    ("Quý II", "quarter", date(Y, 4, 1), date(Y, 6, 30), None),
    ("Quý III", "quarter", date(Y, 7, 1), date(Y, 9, 30), None),
    ("quy iv", "quarter", date(Y, 10, 1), date(Y, 12, 31), None),
    ("Quý 2", "quarter", date(Y, 4, 1), date(Y, 6, 30), None),
    ("Quý I, II", "quarter", date(Y, 1, 1), date(Y, 6, 30), None),
    ("Quý I,II", "quarter", date(Y, 1, 1), date(Y, 6, 30), None),
    ("Quý I, II, III, IV", "quarter", date(Y, 1, 1), date(Y, 12, 31), None),
    ("Quý I - III", "quarter", date(Y, 1, 1), date(Y, 9, 30), None),
    ("Quý II đến Quý IV", "quarter", date(Y, 4, 1), date(Y, 12, 31), None),
    ("Quý I và II", "quarter", date(Y, 1, 1), date(Y, 6, 30), None),
    ("Quý II/2022", "quarter", date(2022, 4, 1), date(2022, 6, 30), None),
    ("Quý IV năm 2021", "quarter", date(2021, 10, 1), date(2021, 12, 31), None),
    ("Tháng 3-10", "month", date(Y, 3, 1), date(Y, 10, 31), None),
    ("Tháng 3 - 10", "month", date(Y, 3, 1), date(Y, 10, 31), None),
    ("tháng 5–11", "month", date(Y, 5, 1), date(Y, 11, 30), None),
    ("Tháng 3 đến tháng 10", "month", date(Y, 3, 1), date(Y, 10, 31), None),
    ("Tháng 2", "month", date(Y, 2, 1), date(Y, 2, 28), None),
    ("Tháng 12/2021", "month", date(2021, 12, 1), date(2021, 12, 31), None),
    ("Hàng tháng", "recurring", date(Y, 1, 1), date(Y, 12, 31), "monthly"),
    ("Hàng quý", "recurring", date(Y, 1, 1), date(Y, 12, 31), "quarterly"),
    ("hang quy", "recurring", date(Y, 1, 1), date(Y, 12, 31), "quarterly"),
    ("6 tháng", "recurring", date(Y, 1, 1), date(Y, 12, 31), "semiannual"),
    ("Định kỳ và đột xuất", "periodic", None, None, "periodic_adhoc"),
    ("dinh ky va dot xuat", "periodic", None, None, "periodic_adhoc"),
    ("Theo kế hoạch đã được phê duyệt", "per_plan", None, None, None),
    ("Theo kế hoạch được phê duyệt", "per_plan", None, None, None),
    ("Theo kế hoạch phê duyệt", "per_plan", None, None, None),
    ("theo ke hoach da duoc phe duyet", "per_plan", None, None, None),
    # Illegible or unknown: never a guess, never an exception.
    ("Than… 3 ?", "unclear", None, None, None),
    ("Quý …", "unclear", None, None, None),
    ("Quý V", "unclear", None, None, None),
    ("Quý II, I", "unclear", None, None, None),
    ("Tháng 13", "unclear", None, None, None),
    ("Tháng 10-3", "unclear", None, None, None),
    ("", "unclear", None, None, None),
    (None, "unclear", None, None, None),
    ("🙂", "unclear", None, None, None),
]


@pytest.mark.parametrize(("phrase", "kind", "start", "due", "recurrence"), CASES)
def test_phrase(phrase, kind, start, due, recurrence):
    schedule = parse_timeline(phrase, Y)
    assert (schedule.kind, schedule.start, schedule.due, schedule.recurrence) == (kind, start, due, recurrence)


def test_leap_year_february():
    assert parse_timeline("Tháng 2", 2024).due == date(2024, 2, 29)


@pytest.mark.parametrize("phrase", ["Theo kế hoạch đã được phê duyệt", "Than… 3 ?", "Quý …"])
def test_needs_date(phrase):
    assert parse_timeline(phrase, Y).needs_date


@pytest.mark.parametrize("phrase", ["Quý I", "Thường xuyên", "Hàng quý", "Định kỳ và đột xuất"])
def test_does_not_need_date(phrase):
    assert not parse_timeline(phrase, Y).needs_date


@pytest.mark.parametrize(("today", "due"), [
    (date(2021, 1, 5), date(2021, 3, 31)),
    (date(2021, 3, 31), date(2021, 3, 31)),
    (date(2021, 4, 1), date(2021, 6, 30)),
    (date(2021, 12, 30), date(2021, 12, 31)),
    (date(2020, 6, 1), date(2021, 3, 31)),
])
def test_quarterly_occurrence_due(today, due):
    assert parse_timeline("Hàng quý", 2021).occurrence_due(today) == due
