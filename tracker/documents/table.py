"""What a document reader hands on: the table's rows as read, each cell with how sure the reader was."""
from __future__ import annotations

from dataclasses import dataclass, field


class DocumentError(Exception):
    """The document cannot be read as a plan's table; the message is for the office, in Vietnamese."""


@dataclass
class Cell:
    """One cell as read: its text, and for a scan the lowest word confidence (0-100) tesseract gave."""

    text: str
    confidence: float | None = None  # None: read from a text layer, nothing to doubt


@dataclass
class RawRow:
    """One table row as read, cells left to right, with the page it is on (from 1).

    `image` is a JPEG of the row's strip of the scan (None for digital documents), shown in review
    beside the proposed row.
    """

    cells: list[Cell]
    page: int
    image: bytes | None = None

    @property
    def texts(self) -> list[str]:
        """The cells' text, left to right."""
        return [cell.text for cell in self.cells]


@dataclass
class Reading:
    """A whole document as read: its rows in order, how many pages it has, how many were scans."""

    rows: list[RawRow] = field(default_factory=list)
    pages: int = 0
    scanned_pages: int = 0
