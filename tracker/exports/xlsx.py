"""A small streaming XLSX writer for the quarterly report: the few features it uses, at the speed it needs.

XlsxWriter spends about 20 µs on each cell; the report of a 50,000-task plan has 1.2 million cells
and took 22 s, against a target of 5. This writer does only what the report needs (text and number
cells with one of a fixed set of styles, row heights estimated from the wrapped text, merged blocks,
column widths, frozen panes, page breaks, A4 landscape fitted to the page's width, print titles, a
page-number footer) and writes each row as one string into a temporary file, which goes into the ZIP
as it is read back.

The file follows ECMA-376 (SpreadsheetML); the tests open it with openpyxl and the report was
checked in LibreOffice.
"""
from __future__ import annotations

import functools
import re
import tempfile
import zipfile
from dataclasses import dataclass, field

# Control characters XML 1.0 forbids (tab, line feed and carriage return are allowed).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPED: dict[str, str] = {}  # short texts recur (agency names, labels, dates): escape each once

# Cell styles, by name; their index is the position in cellXfs of STYLES_XML.
STYLE = {"default": 0, "title": 1, "meta": 2, "head": 3, "section": 4, "text": 5, "number": 6, "overdue": 7,
         "label": 8, "heading": 9, "annex": 10, "flag": 11, "center": 12, "group": 13}

STYLES_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="7">
<font><sz val="11"/><name val="Times New Roman"/></font>
<font><b/><sz val="14"/><name val="Times New Roman"/></font>
<font><i/><sz val="11"/><name val="Times New Roman"/></font>
<font><b/><sz val="11"/><name val="Times New Roman"/></font>
<font><b/><sz val="11"/><color rgb="FFA8201A"/><name val="Times New Roman"/></font>
<font><b/><sz val="12"/><name val="Times New Roman"/></font>
<font><b/><sz val="11"/><color rgb="FF8A4B00"/><name val="Times New Roman"/></font>
</fonts>
<fills count="5">
<fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF5"/><bgColor indexed="64"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFF3F5F7"/><bgColor indexed="64"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFFFF4D6"/><bgColor indexed="64"/></patternFill></fill>
</fills>
<borders count="2">
<border><left/><right/><top/><bottom/><diagonal/></border>
<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>
</borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="14">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="3" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="3" fillId="3" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="right" vertical="top"/></xf>
<xf numFmtId="0" fontId="4" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="5" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="0" fontId="5" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="6" fillId="4" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="3" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

# The opening of a cell of each style, after its reference: text, empty, number.
_TEXT = {name: f' s="{index}" t="inlineStr"><is><t xml:space="preserve">' for name, index in STYLE.items()}
_EMPTY = {name: f' s="{index}"/>' for name, index in STYLE.items()}
_NUMBER = {name: f' s="{index}"><v>' for name, index in STYLE.items()}

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value: str) -> str:
    """A text as XML character data: forbidden control characters dropped, &, < and > escaped."""
    found = _ESCAPED.get(value)
    if found is not None:
        return found
    clean = _FORBIDDEN.sub("", value)
    if "&" in clean or "<" in clean or ">" in clean:
        clean = clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if len(value) <= 60 and len(_ESCAPED) < 10_000:
        _ESCAPED[value] = clean
    return clean


# One line of 11-point Times New Roman as LibreOffice and Excel lay it out, in points, and a row's padding.
LINE_HEIGHT = 12.9
ROW_PADDING = 2.5
# Widths of characters in units of a column's width (the width of "0"): Vietnamese lower case is a little
# narrower than a digit, capitals and "m w" wider, a space about half. Erring wide costs a blank line at
# worst; erring narrow prints a cell's last line over the next row.
_NARROW = frozenset("iljtfrI.,;:'!|()[]-/ ")
_WIDE = frozenset("mwMWQ@%&")


@functools.lru_cache(maxsize=65536)  # a word's width: Vietnamese repeats its syllables endlessly
def _text_width(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 0.55
        elif char in _WIDE:
            width += 1.45
        elif char.isupper():
            width += 1.4
        else:
            width += 0.95
    return width


def lines_in(text: str, width: float, scale: float = 1.0) -> int:
    """How many lines a text wraps to in a column `width` units wide, word by word as a spreadsheet wraps it
    (scale: the font's size against 11 points). openpyxl and this writer cannot measure text: the row heights
    written from this are what keeps a wrapped cell from printing over the next row."""
    return _lines(text, width, scale) if len(text) > 80 else _short_lines(text, width, scale)


def _lines(text: str, width: float, scale: float) -> int:
    # Less the cell's inner margins, and 7% to spare: LibreOffice wrapped a line estimated at 99% of the room.
    room = max(1.0, (width - 0.9) / scale * 0.93)
    if len(text) * 1.45 <= room and "\n" not in text:  # short enough whatever its letters
        return 1
    count = 0
    for paragraph in text.split("\n"):
        count += 1
        used = 0.0
        for word in paragraph.split(" "):
            size = _text_width(word)
            needed = size if used == 0 else used + 0.55 + size
            if needed <= room:
                used = needed
                continue
            if used:
                count += 1
            while size > room:  # a word longer than the column breaks inside it
                count += 1
                size -= room
            used = size
    return max(1, count)


_short_lines = functools.lru_cache(maxsize=16384)(_lines)  # names and labels recur on every task


def height_of(lines: int, scale: float = 1.0) -> float:
    """A row's height in points for so many lines of text."""
    return round(lines * LINE_HEIGHT * scale + ROW_PADDING, 1)


@dataclass
class Sheet:
    """One worksheet being written: rows go to a temporary file in order, the rest is kept for the end."""

    name: str
    widths: list[float]
    print_title_row: int | None = None  # 0-based row repeated at the top of each printed page
    freeze: tuple[int, int] | None = None  # (rows, columns) frozen
    merges: list[str] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)  # 0-based rows that begin a printed page
    next_row: int = 0

    def __post_init__(self):
        self.rows = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self.heights: list[float] = []  # of the rows written so far, in points (15 where none was given)
        self.letters = [column_letter(i) for i in range(max(len(self.widths), 1) + 1)]

    def row(self, cells: list, height: float | None = None) -> None:
        """Append a row: each cell (value, style) with a str, int or float value, or None for no cell."""
        number = self.next_row + 1
        self.next_row += 1
        if number <= 64:  # the heading's rows are all a page needs to know; a long sheet keeps no list
            self.heights.append(height or 15.0)
        suffix = str(number)
        parts = [f'<row r="{number}"' + (f' ht="{height:g}" customHeight="1">' if height else ">")]
        append = parts.append
        for column, cell in enumerate(cells):
            if cell is None:
                continue
            value, style = cell
            ref = self.letters[column] + suffix
            if value.__class__ is str:
                if value:
                    append(f'<c r="{ref}"{_TEXT[style]}{_text(value)}</t></is></c>')
                else:
                    append(f'<c r="{ref}"{_EMPTY[style]}')
            else:
                append(f'<c r="{ref}"{_NUMBER[style]}{value}</v></c>')
        parts.append("</row>")
        self.rows.write("".join(parts))

    def merge_row(self, first_column: int, last_column: int) -> None:
        """Merge the cells of the row just written across the columns."""
        self.merge(self.next_row - 1, first_column, self.next_row - 1, last_column)

    def merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        """Merge a block of cells (0-based rows and columns, both ends included)."""
        self.merges.append(f"{self.letters[first_column]}{first_row + 1}:{self.letters[last_column]}{last_row + 1}")

    def page_break(self) -> None:
        """Begin a new printed page with the next row."""
        if self.next_row:
            self.breaks.append(self.next_row)

    def head(self) -> str:
        views = ""
        if self.freeze:
            rows, columns = self.freeze
            top_left = f"{self.letters[columns]}{rows + 1}"
            views = (f'<sheetViews><sheetView workbookViewId="0"><pane xSplit="{columns}" ySplit="{rows}" '
                     f'topLeftCell="{top_left}" activePane="bottomRight" state="frozen"/></sheetView></sheetViews>')
        cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>'
                       for i, w in enumerate(self.widths))
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}>'
                f'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>{views}'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')

    def tail(self) -> str:
        merges = (f'<mergeCells count="{len(self.merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
                  + "</mergeCells>") if self.merges else ""
        # A break's id is the row it falls after (1-based), that is the 0-based row it comes before.
        breaks = (f'<rowBreaks count="{len(self.breaks)}" manualBreakCount="{len(self.breaks)}">'
                  + "".join(f'<brk id="{row}" max="16383" man="1"/>' for row in self.breaks)
                  + "</rowBreaks>") if self.breaks else ""
        return (f'</sheetData>{merges}<printOptions horizontalCentered="1" gridLines="0"/>'
                '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
                '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
                f'<headerFooter><oddFooter>&amp;CTrang &amp;P</oddFooter></headerFooter>{breaks}</worksheet>')


class Workbook:
    """Sheets written row by row, then packed into an XLSX file."""

    def __init__(self):
        self.sheets: list[Sheet] = []

    def add_sheet(self, name: str, widths: list[float], print_title_row: int | None = None,
                  freeze: tuple[int, int] | None = None) -> Sheet:
        """A new sheet (names of 31 characters at most, as Excel requires)."""
        sheet = Sheet(name[:31], widths, print_title_row, freeze)
        self.sheets.append(sheet)
        return sheet

    def save(self, target) -> None:
        """Write the XLSX to a binary file object."""
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            package.writestr("[Content_Types].xml", self._content_types())
            package.writestr("_rels/.rels", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'))
            package.writestr("xl/workbook.xml", self._workbook())
            package.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            package.writestr("xl/styles.xml", STYLES_XML)
            for index, sheet in enumerate(self.sheets, start=1):
                with package.open(f"xl/worksheets/sheet{index}.xml", "w") as entry:
                    entry.write(sheet.head().encode())
                    sheet.rows.seek(0)
                    while chunk := sheet.rows.read(1 << 20):
                        entry.write(chunk.encode())
                    entry.write(sheet.tail().encode())
                sheet.rows.close()

    def _content_types(self) -> str:
        sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                         f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                         for i in range(1, len(self.sheets) + 1))
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{sheets}</Types>')

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name="{_text(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"{_text(quote_sheet(s.name))}!${s.print_title_row + 1}:${s.print_title_row + 1}</definedName>"
            for i, s in enumerate(self.sheets) if s.print_title_row is not None)
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {NS}>'
                f'<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
                + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>")

    def _workbook_rels(self) -> str:
        sheets = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                         for i in range(1, len(self.sheets) + 1))
        styles = (f'<Relationship Id="rId{len(self.sheets) + 1}" Type="http://schemas.openxmlformats.org/'
                  'officeDocument/2006/relationships/styles" Target="styles.xml"/>')
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{sheets}{styles}</Relationships>')


def quote_sheet(name: str) -> str:
    """A sheet name as a formula refers to it: 'Phụ lục'."""
    return "'" + name.replace("'", "''") + "'"

