"""Read an appendix table (CSV or XLSX) into validated sections and items, or a list of problems."""
from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..text import fold, nfc
from .cells import read_cell
from .models import ROLES

# Folded header text -> field; the appendix's own headers first, then common variants.
HEADERS = {
    "tt": "tt", "stt": "tt", "so tt": "tt",
    "noi dung cong viec": "title", "noi dung": "title", "cong viec": "title",
    "chi dao": "lead", "co quan chi dao": "lead",
    "co quan thuc hien": "executing", "thuc hien": "executing", "co quan chu tri": "executing",
    "co quan phoi hop": "coordinating", "phoi hop": "coordinating",
    "thoi gian": "timeline", "thoi gian thuc hien": "timeline", "tien do": "timeline",
    "ghi chu": "note",
}
REQUIRED = ("tt", "title", "lead", "executing", "coordinating", "timeline")
COLUMN_LABELS = {
    "tt": "TT", "title": "Nội dung công việc", "lead": "Chỉ đạo", "executing": "Cơ quan thực hiện",
    "coordinating": "Cơ quan phối hợp", "timeline": "Thời gian", "note": "Ghi chú",
}
_ROMAN = re.compile(r"^(?=[IVXL]+$)L?X{0,3}(?:IX|IV|V?I{0,3})$")
MAX_CELL = 2000


class AppendixError(Exception):
    """The file cannot be read as an appendix at all (wrong format, no header row)."""


@dataclass
class Problem:
    """Why one cell of one row is refused."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Dòng {self.row}, cột «{self.column}»: {self.message}"


@dataclass
class SectionRow:
    """A section heading of the appendix."""

    numeral: str
    title: str


@dataclass
class ItemRow:
    """One work item with its cells as written and the agencies each role cell names."""

    row: int
    section: str
    number: int
    title: str
    cells: dict[str, str]
    timeline: str
    note: str
    agencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def code(self) -> str:
        """The item's code, such as "IV.4"."""
        return f"{self.section}.{self.number}"


@dataclass
class Appendix:
    """What was read: sections, items, and what is wrong with the file."""

    sections: list[SectionRow] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # unknown agency text -> rows where it appears
    unknown_agencies: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import."""
        return not self.problems


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


# An appendix has a few dozen items; these bounds only stop a wrong or hostile file early.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_rows(path: str | Path) -> list[list[str]]:
    """Return the table's rows as lists of NFC strings, from a .csv or .xlsx file.

    Every problem is an AppendixError with a message for the office, never a traceback: a file too
    large, an XLSX with a DTD (entity expansion) or too much inside, a CSV field beyond the parser's
    limit, a control character (such as NUL) in a cell. Every row of an XLSX is read whatever the
    sheet's stored dimension says.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise AppendixError("Chỉ nhận tệp .csv hoặc .xlsx.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise AppendixError(f"Tệp lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB; phụ lục kế hoạch không cần lớn như vậy.")
    rows = _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path)
    for number, row in enumerate(rows, start=1):
        for value in row:
            if _CONTROL.search(value):
                raise AppendixError(f"Dòng {number}: có ký tự điều khiển (như NUL) trong ô «{_CONTROL.sub('', value)[:40]}»; "
                                    "hãy lưu lại tệp từ Excel hoặc LibreOffice.")
    return rows


def check_office_archive(path: Path, kind: str) -> None:
    """Refuse an Office file (XLSX, DOCX) that is not a zip, unpacks to too much (a zip bomb) or declares
    a DTD (entity expansion, "billion laughs"), before any XML parser sees it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > 10_000 or sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
                raise AppendixError(f"Tệp {kind} chứa quá nhiều dữ liệu khi giải nén.")
            for info in members:
                if info.filename.endswith((".xml", ".rels")):
                    with archive.open(info) as member:
                        head = member.read(MAX_UNPACKED_BYTES)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise AppendixError(f"Tệp {kind} có khai báo DTD, không phải tệp Office thông thường; không đọc.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise AppendixError(f"Không đọc được tệp {kind}: tệp hỏng hoặc không phải {kind}.") from exc


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    check_office_archive(path, "XLSX")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise AppendixError(f"Không đọc được tệp XLSX: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a stored dimension smaller than the data would hide rows
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) >= MAX_ROWS:
                raise AppendixError(f"Tệp có hơn {MAX_ROWS} dòng.")
            rows.append([_cell_text(v) for v in row])
        return rows
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AppendixError("Tệp CSV phải được lưu với mã hóa UTF-8.") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            if len(rows) >= MAX_ROWS:
                raise AppendixError(f"Tệp có hơn {MAX_ROWS} dòng.")
            rows.append([_cell_text(v) for v in row])
    except csv.Error as exc:
        raise AppendixError(f"Tệp CSV hỏng ở dòng {len(rows) + 1}: {exc}.") from exc
    return rows


def _header_map(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """Find the header row (within the first 20) and map each field to its column index."""
    for index, row in enumerate(rows[:20]):
        mapping: dict[str, int] = {}
        for column, value in enumerate(row):
            name = HEADERS.get(fold(value).strip(" .:"))
            if name and name not in mapping:
                mapping[name] = column
        if all(name in mapping for name in REQUIRED):
            return index, mapping
    missing = ", ".join(COLUMN_LABELS[n] for n in REQUIRED)
    raise AppendixError(f"Không tìm thấy dòng tiêu đề với các cột: {missing}.")


def parse_appendix(rows: list[list[str]], aliases: dict[str, str]) -> Appendix:
    """Validate the rows against the known agency aliases (folded key -> canonical name)."""
    header_index, columns = _header_map(rows)
    result = Appendix()
    section: str | None = None
    seen_codes: set[str] = set()
    for index in range(header_index + 1, len(rows)):
        raw = rows[index]
        row_number = index + 1
        cells = {name: raw[col] if col < len(raw) else "" for name, col in columns.items()}
        if not any(cells.values()):
            continue
        too_long = [n for n, v in cells.items() if len(v) > MAX_CELL]
        for name in too_long:
            result.problems.append(Problem(row_number, COLUMN_LABELS[name], f"dài quá {MAX_CELL} ký tự."))
        if too_long:
            continue
        tt = cells["tt"].rstrip(".").strip().upper()
        if _ROMAN.match(tt):
            if tt in {s.numeral for s in result.sections}:
                result.problems.append(Problem(row_number, "TT", f"mục {tt} xuất hiện hai lần."))
            elif not cells["title"]:
                result.problems.append(Problem(row_number, "Nội dung công việc", f"mục {tt} chưa có tên."))
            else:
                result.sections.append(SectionRow(tt, cells["title"]))
            section = tt
            continue
        if not tt.isdigit():
            message = (
                f"«{cells['tt']}» không phải số La Mã (mục) hay số thứ tự (công việc)."
                if tt else "thiếu số thứ tự."
            )
            result.problems.append(Problem(row_number, "TT", message))
            continue
        _read_item(result, row_number, section, int(tt), cells, aliases, seen_codes)
    if not result.items and not result.problems:
        result.problems.append(Problem(header_index + 1, "TT", "tệp không có công việc nào."))
    return result


def _read_item(result: Appendix, row: int, section: str | None, number: int, cells: dict[str, str],
               aliases: dict[str, str], seen_codes: set[str]) -> None:
    if section is None:
        result.problems.append(Problem(row, "TT", "công việc nằm trước mục La Mã đầu tiên."))
        return
    item = ItemRow(row, section, number, cells["title"], {r: cells[r] for r in ROLES},
                   cells["timeline"], cells.get("note", ""))
    if item.code in seen_codes:
        result.problems.append(Problem(row, "TT", f"công việc {item.code} xuất hiện hai lần."))
        return
    seen_codes.add(item.code)
    if not item.title:
        result.problems.append(Problem(row, "Nội dung công việc", "trống."))
    if not item.cells["executing"]:
        result.problems.append(Problem(row, "Cơ quan thực hiện", "trống: mỗi công việc cần cơ quan thực hiện."))
    for role in ROLES:
        reading = read_cell(item.cells[role], aliases)
        item.agencies[role] = reading.matched
        for fragment in reading.unknown:
            shown = original_fragment(item.cells[role], fragment)
            result.unknown_agencies.setdefault(shown, []).append(row)
            hint = _suggestion(fragment, aliases)
            result.problems.append(Problem(row, COLUMN_LABELS[role], f"không nhận ra cơ quan «{shown}».{hint}"))
    result.items.append(item)


def original_fragment(cell: str, folded_fragment: str) -> str:
    """Recover the fragment as written (with diacritics) from the cell, when it can be found."""
    for part in re.split(r"[,;]|\svà\s", cell):
        if fold(part).strip(" .:") == folded_fragment.strip(" .:"):
            return part.strip()
    return folded_fragment


def _suggestion(fragment: str, aliases: dict[str, str]) -> str:
    close = difflib.get_close_matches(fragment, list(aliases), n=1, cutoff=0.75)
    return f" Có phải «{aliases[close[0]]}»?" if close else ""
