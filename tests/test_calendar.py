"""Working days: a reminder on a weekend or holiday moves; holidays are read from the office's list."""
from datetime import date

from tracker.reminders.calendar import WorkCalendar

CAL = WorkCalendar.parse("01-01\n04-30\n05-01\n09-02\n2021-02-11  # Tết\n2021-02-12\n")


def test_weekends_and_holidays_are_not_working_days():
    assert CAL.is_working_day(date(2021, 3, 26))  # Friday
    assert not CAL.is_working_day(date(2021, 3, 27))  # Saturday
    assert not CAL.is_working_day(date(2021, 3, 28))  # Sunday
    assert not CAL.is_working_day(date(2021, 4, 30)) and not CAL.is_working_day(date(2022, 5, 2 - 1))
    assert not CAL.is_working_day(date(2021, 2, 11)) and CAL.is_working_day(date(2022, 2, 11))


def test_moves():
    assert CAL.on_or_before(date(2021, 3, 28)) == date(2021, 3, 26)  # Sunday -> Friday
    assert CAL.on_or_after(date(2021, 3, 27)) == date(2021, 3, 29)  # Saturday -> Monday
    assert CAL.on_or_before(date(2021, 2, 12)) == date(2021, 2, 10)  # Tết Friday -> Wednesday
    assert CAL.on_or_after(date(2021, 4, 30)) == date(2021, 5, 3)  # 30/4 Fri, 1/5 Sat, 2/5 Sun -> Monday 3/5
    assert CAL.on_or_before(date(2021, 3, 24)) == date(2021, 3, 24)


def test_invalid_lines_are_reported():
    assert WorkCalendar.invalid_lines("01-01\n13-40\nTết\n2021-02-30\n# a comment\n") == ["13-40", "Tết", "2021-02-30"]
    assert WorkCalendar.parse("13-40\nTết") == WorkCalendar()
