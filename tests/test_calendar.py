"""Working days: weekends, Việt Nam's public holidays (Tết included) and the office's own list."""
from datetime import date

import pytest

from tracker.reminders.calendar import NoWorkingDay, WorkCalendar

OFFICE = WorkCalendar.parse("2021-03-26  # a day off the province gave\n+2026-08-22  # Saturday worked\n")
OFFICE_ONLY = WorkCalendar.parse("01-01\n04-30\n05-01\n09-02\n2021-02-11\n2021-02-12\n", official=False)


def test_weekends_and_the_offices_days_are_not_working_days():
    assert OFFICE_ONLY.is_working_day(date(2021, 3, 25))  # Thursday
    assert not OFFICE_ONLY.is_working_day(date(2021, 3, 27)) and not OFFICE_ONLY.is_working_day(date(2021, 3, 28))
    assert not OFFICE_ONLY.is_working_day(date(2021, 4, 30)) and not OFFICE_ONLY.is_working_day(date(2021, 2, 11))
    assert OFFICE_ONLY.is_working_day(date(2022, 2, 11))  # a dated day off is not every year's
    assert not OFFICE.is_working_day(date(2021, 3, 26))


@pytest.mark.parametrize(("day", "why"), [
    (date(2021, 2, 10), "Tết 2021: 29 tháng Chạp"), (date(2021, 2, 16), "Tết 2021: mùng 5"),
    (date(2026, 2, 17), "Tết 2026: mùng 1"), (date(2021, 4, 21), "Giỗ Tổ Hùng Vương 2021 (10/3 âm lịch)"),
    (date(2026, 4, 27), "Giỗ Tổ 2026 rơi vào Chủ nhật: nghỉ bù thứ Hai"), (date(2021, 5, 3), "1/5/2021 là thứ Bảy: nghỉ bù"),
    (date(2021, 9, 3), "Quốc khánh: hai ngày"), (date(2026, 8, 31), "ngày nghỉ được hoán đổi"),
])
def test_public_holidays_follow_the_law_and_the_lunar_calendar(day, why):
    assert not OFFICE.is_working_day(day), why


def test_a_saturday_the_office_lists_as_worked_is_a_working_day():
    assert OFFICE.is_working_day(date(2026, 8, 22)) and not OFFICE.is_working_day(date(2026, 8, 29))


def test_moves():
    assert OFFICE.on_or_before(date(2021, 3, 28)) == date(2021, 3, 25)  # Sunday -> Thursday (Friday is off)
    assert OFFICE.on_or_after(date(2021, 3, 27)) == date(2021, 3, 29)  # Saturday -> Monday
    assert OFFICE.on_or_before(date(2021, 2, 12)) == date(2021, 2, 9)  # in Tết -> the last day before it
    assert OFFICE.on_or_after(date(2021, 2, 12)) == date(2021, 2, 17)  # -> the first day after it
    assert OFFICE.on_or_after(date(2021, 4, 30)) == date(2021, 5, 4)  # 30/4, weekend, 3/5 in lieu -> 4/5


def test_a_list_that_leaves_no_working_day_is_refused_and_never_crashes():
    every_day = "\n".join(f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)
                          if not (m == 2 and d > 29) and not (m in (4, 6, 9, 11) and d == 31))
    calendar = WorkCalendar.parse(every_day)
    with pytest.raises(NoWorkingDay):
        calendar.check(date(2026, 6, 1))
    assert calendar.on_or_before(date(1, 1, 3)) == date(1, 1, 3)  # no OverflowError below year 1
    assert calendar.on_or_after(date(9999, 12, 30)) == date(9999, 12, 30)


def test_invalid_lines_are_reported():
    assert WorkCalendar.invalid_lines("01-01\n13-40\nTết\n2021-02-30\n+2026-02-30\n# a comment\n") == [
        "13-40", "Tết", "2021-02-30", "+2026-02-30"]
    assert WorkCalendar.parse("13-40\nTết", official=False) == WorkCalendar()
