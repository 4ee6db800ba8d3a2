"""Pagination over a list already filtered in Python (category filters cannot be SQL)."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any


@dataclass
class Page:
    """One page of a list, with what a pager needs."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @classmethod
    def of(cls, rows: list[Any], page: int, per_page: int) -> Page:
        """The given page (1-based) of rows; a page past the end is empty."""
        page = max(page, 1)
        start = (page - 1) * per_page
        return cls(rows[start:start + per_page], len(rows), page, per_page)

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
