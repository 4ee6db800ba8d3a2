"""The Quarter value: first and last days, neighbours across a year's turn, order, names."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from tracker.quarters import Quarter, roman

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
quarters = st.builds(Quarter, st.integers(1900, 2200), st.integers(1, 4))


def test_the_four_quarters_of_a_year():
    assert [(q.start, q.end) for q in Quarter.of_year(2021)] == [
        (date(2021, 1, 1), date(2021, 3, 31)), (date(2021, 4, 1), date(2021, 6, 30)),
        (date(2021, 7, 1), date(2021, 9, 30)), (date(2021, 10, 1), date(2021, 12, 31))]
    assert Quarter(2024, 1).end == date(2024, 3, 31)  # a leap year's February changes nothing


def test_year_boundaries():
    assert Quarter.of(date(2020, 12, 31)) == Quarter(2020, 4)
    assert Quarter.of(date(2021, 1, 1)) == Quarter(2021, 1)
    assert Quarter(2021, 1).previous == Quarter(2020, 4)
    assert Quarter(2020, 4).next == Quarter(2021, 1)
    assert Quarter(2021, 2).shifted(-6) == Quarter(2019, 4)
    assert Quarter(2021, 2).up_to(8) == [Quarter(2019, 3), Quarter(2019, 4), *Quarter.of_year(2020),
                                          Quarter(2021, 1), Quarter(2021, 2)]
    assert list(Quarter.span(Quarter(2020, 3), Quarter(2021, 1))) == [Quarter(2020, 3), Quarter(2020, 4),
                                                                      Quarter(2021, 1)]
    assert list(Quarter.span(Quarter(2021, 2), Quarter(2021, 1))) == []


def test_names_as_a_vietnamese_report_writes_them():
    assert Quarter(2021, 1).label == "quý I năm 2021"
    assert Quarter(2021, 4).label == "quý IV năm 2021"
    assert [roman(n) for n in range(1, 5)] == ["I", "II", "III", "IV"]


def test_ended_and_begun_on_the_day():
    q = Quarter(2021, 2)
    assert not q.ended_by(date(2021, 6, 29)) and q.ended_by(date(2021, 6, 30)) and q.ended_by(date(2022, 1, 1))
    assert not q.begun_by(date(2021, 3, 31)) and q.begun_by(date(2021, 4, 1))
    assert q.contains(date(2021, 4, 1)) and q.contains(date(2021, 6, 30))
    assert not q.contains(date(2021, 3, 31)) and not q.contains(date(2021, 7, 1))


def test_nearest_keeps_to_the_year():
    assert Quarter.nearest(2021, date(2021, 8, 15)) == Quarter(2021, 3)
    assert Quarter.nearest(2021, date(2020, 8, 15)) == Quarter(2021, 1)
    assert Quarter.nearest(2021, date(2023, 2, 1)) == Quarter(2021, 4)


@pytest.mark.parametrize("number", [0, 5, -1, True, 1.0, "1"])
def test_only_four_quarters(number):
    with pytest.raises(ValueError):
        Quarter(2021, number)


@given(days)
def test_a_day_lies_in_its_quarter(day):
    q = Quarter.of(day)
    assert q.contains(day) and q.start <= day <= q.end
    assert not q.previous.contains(day) and not q.next.contains(day)


@given(quarters)
def test_neighbours_touch(q):
    assert q.next.start == q.end + timedelta(days=1)
    assert q.previous.end == q.start - timedelta(days=1)
    assert q.next.previous == q == q.previous.next
    assert Quarter.of(q.start) == q == Quarter.of(q.end)
    assert q.previous < q < q.next


@given(quarters, quarters)
def test_order_is_time_order(a, b):
    assert (a < b) == (a.start < b.start) == (a.end < b.end)
    span = list(Quarter.span(a, b))
    assert len(span) == max(0, (b.year - a.year) * 4 + b.number - a.number + 1)
    assert all(x.next == y for x, y in zip(span, span[1:]))


@given(quarters, st.integers(-50, 50))
def test_shifting_is_adding(q, n):
    assert q.shifted(n).shifted(-n) == q
    assert len(q.up_to(n)) == max(n, 0)
