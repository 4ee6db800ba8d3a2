"""The calendar quarter as a value: the one place that knows a quarter's first and last day, its neighbours
and how Vietnamese documents name it ("quý I năm 2021"). Every domain may import it; it imports none."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}  # a quarter's numeral, as the plan and its reports write it


def roman(number: int) -> str:
    """A quarter's number (1–4) as its roman numeral, "I" to "IV"."""
    return ROMAN[number]


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter of one year; ordered in time, so `min`, `max`, `<` and `sorted` read naturally."""

    year: int
    number: int  # 1–4

    def __post_init__(self) -> None:
        if type(self.number) is not int or self.number not in ROMAN:  # not True, not 1.0
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.number!r}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a date falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def nearest(cls, year: int, day: date) -> Quarter:
        """The quarter of `day` kept within `year`: its own in that year, the year's first for a day before
        it, its last for a day after it."""
        return min(max(cls.of(day), cls(year, 1)), cls(year, 4))

    @classmethod
    def of_year(cls, year: int) -> tuple[Quarter, Quarter, Quarter, Quarter]:
        """The year's four quarters, in order."""
        return cls(year, 1), cls(year, 2), cls(year, 3), cls(year, 4)

    @staticmethod
    def span(first: Quarter, last: Quarter) -> Iterator[Quarter]:
        """Every quarter from `first` to `last`, both included, across years; nothing when last < first."""
        quarter = first
        while quarter <= last:
            yield quarter
            quarter = quarter.next

    @property
    def start(self) -> date:
        """The quarter's first day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day (31 March, 30 June, 30 September, 31 December)."""
        return date(self.year, 3 * self.number, 31 if self.number in (1, 4) else 30)

    @property
    def roman(self) -> str:
        """The quarter's numeral, "I" to "IV"."""
        return ROMAN[self.number]

    @property
    def label(self) -> str:
        """"quý I năm 2021", as a Vietnamese report names it (reports and round titles are Vietnamese)."""
        return f"quý {self.roman} năm {self.year}"

    def shifted(self, count: int) -> Quarter:
        """The quarter `count` quarters later (earlier when negative), across years."""
        year, index = divmod(self.year * 4 + self.number - 1 + count, 4)
        return Quarter(year, index + 1)

    @property
    def previous(self) -> Quarter:
        """The quarter before, across a year's turn."""
        return self.shifted(-1)

    @property
    def next(self) -> Quarter:
        """The quarter after, across a year's turn."""
        return self.shifted(1)

    def up_to(self, count: int) -> list[Quarter]:
        """The `count` quarters ending with this one, oldest first."""
        return list(Quarter.span(self.shifted(1 - count), self)) if count > 0 else []

    def contains(self, day: date) -> bool:
        """The day falls in this quarter."""
        return self.start <= day <= self.end

    def begun_by(self, day: date) -> bool:
        """The quarter's first day has come by `day`."""
        return self.start <= day

    def ended_by(self, as_of: date) -> bool:
        """The quarter's last day has come by `as_of`: what is counted to as_of covers the whole quarter."""
        return self.end <= as_of
