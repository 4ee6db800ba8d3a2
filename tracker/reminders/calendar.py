"""Working days: weekends and the office's public holidays. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkCalendar:
    """Saturdays, Sundays and listed holidays are not working days."""

    yearly: frozenset[tuple[int, int]] = frozenset()  # (month, day) every year
    dated: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, text: str) -> WorkCalendar:
        """Read one holiday a line: "MM-DD" every year or "YYYY-MM-DD"; anything else is ignored."""
        yearly, dated = set(), set()
        for raw in (text or "").splitlines():
            item = raw.split("#")[0].strip()
            try:
                if len(item) == 5:
                    month, day = (int(p) for p in item.split("-"))
                    date(2024, month, day)  # validates, leap day included
                    yearly.add((month, day))
                elif len(item) == 10:
                    dated.add(date.fromisoformat(item))
            except ValueError:
                continue
        return cls(frozenset(yearly), frozenset(dated))

    @staticmethod
    def invalid_lines(text: str) -> list[str]:
        """The lines parse() would ignore, to tell the office."""
        bad = []
        for raw in (text or "").splitlines():
            item = raw.split("#")[0].strip()
            if not item:
                continue
            try:
                if len(item) == 5:
                    date(2024, *(int(p) for p in item.split("-")))
                elif len(item) == 10:
                    date.fromisoformat(item)
                else:
                    raise ValueError
            except (ValueError, TypeError):
                bad.append(raw.strip())
        return bad

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is not a holiday."""
        return day.weekday() < 5 and (day.month, day.day) not in self.yearly and day not in self.dated

    def on_or_before(self, day: date) -> date:
        """The day itself if it is a working day, else the working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        """The day itself if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day
