"""Working days: weekends, Việt Nam's public holidays, and the office's own additions. Pure functions.

The public holidays come from the `holidays` library (country VN): the lunar New Year (Tết), the
Hùng Kings' day, the days off given in lieu and those substituted by a working Saturday, year by
year. The office adds its own days off ("MM-DD" every year, "YYYY-MM-DD" once) and working days
("+YYYY-MM-DD", a Saturday worked to make up for a bridge day).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

# However the office's list reads, a reminder never searches further than this for a working day.
SEARCH_DAYS = 366


def _official_holidays() -> holidays.HolidayBase:
    # Imported when a calendar is first made (the sweep, the reminder settings), not by every web worker: the
    # library and its countries' data are some 3 MiB.
    import holidays

    return holidays.country_holidays("VN")


class NoWorkingDay(ValueError):
    """A list of days off that leaves no working day at all."""


@dataclass(frozen=True)
class WorkCalendar:
    """Saturdays, Sundays, public holidays and listed days off are not working days; listed working days are."""

    yearly: frozenset[tuple[int, int]] = frozenset()  # (month, day) every year
    dated: frozenset[date] = frozenset()
    working: frozenset[date] = frozenset()  # Saturdays or holidays worked instead of another day
    official: holidays.HolidayBase | None = field(default=None, compare=False, hash=False)
    # A sweep asks about the same few hundred days tens of thousands of times.
    _answers: dict[date, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def parse(cls, text: str, official: bool = True) -> WorkCalendar:
        """Read the office's lines: "MM-DD" every year, "YYYY-MM-DD" once, "+YYYY-MM-DD" a working day;
        anything else is ignored. With official, Việt Nam's public holidays count too."""
        yearly, dated, working = set(), set(), set()
        for raw in (text or "").splitlines():
            item = raw.split("#")[0].strip()
            try:
                if len(item) == 11 and item.startswith("+"):
                    working.add(date.fromisoformat(item[1:]))
                elif len(item) == 5:
                    month, day = (int(p) for p in item.split("-"))
                    date(2024, month, day)  # validates, leap day included
                    yearly.add((month, day))
                elif len(item) == 10:
                    dated.add(date.fromisoformat(item))
            except ValueError:
                continue
        return cls(frozenset(yearly), frozenset(dated), frozenset(working), _official_holidays() if official else None)

    @staticmethod
    def invalid_lines(text: str) -> list[str]:
        """The lines parse() would ignore, to tell the office."""
        bad = []
        for raw in (text or "").splitlines():
            item = raw.split("#")[0].strip()
            if not item:
                continue
            try:
                if len(item) == 11 and item.startswith("+"):
                    date.fromisoformat(item[1:])
                elif len(item) == 5:
                    date(2024, *(int(p) for p in item.split("-")))
                elif len(item) == 10:
                    date.fromisoformat(item)
                else:
                    raise ValueError
            except (ValueError, TypeError):
                bad.append(raw.strip())
        return bad

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is no holiday, and on a day the office lists as worked."""
        answer = self._answers.get(day)
        if answer is None:
            answer = self._answers[day] = self._is_working_day(day)
        return answer

    def _is_working_day(self, day: date) -> bool:
        if day in self.working:
            return True
        if day.weekday() >= 5 or (day.month, day.day) in self.yearly or day in self.dated:
            return False
        return self.official is None or day not in self.official

    def check(self, around: date) -> None:
        """NoWorkingDay when no day of the year from `around` is a working day."""
        if not any(self.is_working_day(around + timedelta(days=n)) for n in range(SEARCH_DAYS)):
            raise NoWorkingDay("Danh sách ngày nghỉ không để lại ngày làm việc nào.")

    def on_or_before(self, day: date) -> date:
        """The day itself if it is a working day, else the working day before it (the day itself when
        the office's list leaves none within a year)."""
        return self._nearest(day, -1)

    def on_or_after(self, day: date) -> date:
        """The day itself if it is a working day, else the next working day (or the day itself, as above)."""
        return self._nearest(day, 1)

    def _nearest(self, day: date, step: int) -> date:
        candidate = day
        for _ in range(SEARCH_DAYS):
            if self.is_working_day(candidate):
                return candidate
            if candidate in (date.min, date.max):
                break
            candidate += timedelta(days=step)
        return day
