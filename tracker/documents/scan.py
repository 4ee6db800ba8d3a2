"""A scanned page of a plan's appendix read cell by cell: the grid found with numpy, each cell's text by tesseract.

One tesseract process per page: the page's non-blank cells are stacked into one tall image, read once
with `--psm 6`, and each word goes back to the cell whose stretch of the stack it lies in.
"""
from __future__ import annotations

import csv
import functools
import io
import os
import re
import shutil
import subprocess
import unicodedata

import numpy as np
from PIL import Image, ImageOps

from .grid import find_grid, otsu, skew_angle
from .table import Cell, DocumentError, RawRow

A4_INCHES = 11.69  # long side; plans are printed on A4, which gives a scan's resolution
LOW_DPI = 250  # below this tesseract misses diacritics: cells are enlarged x1.5 first
GAP = 48  # white pixels between stacked cells, so tesseract never joins two cells' lines
STRIP_WIDTH = 1400  # of a row's image shown in review
TIMEOUT = 120  # seconds for one tesseract run


def _environment() -> dict[str, str]:
    # One thread: tesseract's OpenMP threads only contend on a shared server, and pages are read in a job.
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


@functools.cache
def scans_readable() -> bool:
    """Whether tesseract is installed with the Vietnamese language, so scans can be read."""
    if not shutil.which("tesseract"):
        return False
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30,
                                env=_environment())
    except (OSError, subprocess.SubprocessError):
        return False
    return "vie" in (listed.stdout + listed.stderr).split()


def _no_table(page: int) -> DocumentError:
    return DocumentError(f"Trang {page}: không tìm thấy bảng có kẻ ô (hoặc trang bị nghiêng quá 5°); "
                         "hãy scan lại trang cho thẳng, rõ các đường kẻ bảng.")


def read_scan_page(image: Image.Image, page: int) -> list[RawRow]:
    """The table rows of one scanned page, top to bottom, each cell's text with tesseract's lowest word confidence."""
    grey = ImageOps.exif_transpose(image).convert("L")
    dpi = max(grey.size) / A4_INCHES
    scale = dpi / 300
    levelled, grid = _levelled_grid(grey, scale)
    if grid is None or _looks_turned(grid):
        # Tesseract's orientation detection costs ~2 s, so only a page whose table looks wrong pays for it.
        turned = _orientation(grey)
        if turned:
            grey = grey.rotate(turned, expand=True)
            levelled, grid = _levelled_grid(grey, scale)
    if grid is None:
        raise _no_table(page)
    pixels = np.asarray(levelled)
    ink = pixels < otsu(pixels)
    enlarge = 1.5 if dpi < LOW_DPI else 1.0
    inset = grid.thickness // 2 + max(3, int(4 * scale))
    pieces: list[tuple[int, int, Image.Image]] = []  # (row, column, cell image) for cells with ink
    for row_index, (top, bottom) in enumerate(zip(grid.rows, grid.rows[1:])):
        for first, last in grid.spans[row_index]:
            box = (grid.columns[first] + inset, top + inset, grid.columns[last + 1] - inset, bottom - inset)
            cropped = _inked(ink, box, scale)
            if cropped is not None:
                piece = levelled.crop(cropped)
                if enlarge != 1.0:
                    piece = piece.resize((round(piece.width * enlarge), round(piece.height * enlarge)),
                                         Image.LANCZOS)
                pieces.append((row_index, first, piece))
    texts = _ocr(pieces, dpi * enlarge, "vie")
    _reread_numbers(pieces, texts, dpi * enlarge)
    rows = []
    left, right = grid.columns[0], grid.columns[-1]
    width = len(grid.columns) - 1
    for row_index, (top, bottom) in enumerate(zip(grid.rows, grid.rows[1:])):
        cells = [Cell("", None) for _ in range(width)]
        for first, _ in grid.spans[row_index]:
            words = texts.get((row_index, first))
            if words:
                text = tidy(" ".join(word for word, _ in words))
                cells[first] = Cell(text, min(conf for _, conf in words))
        strip = levelled.crop((max(0, left - 4), max(0, top - 4), right + 5, bottom + 5))
        rows.append(RawRow(cells, page, _jpeg(strip)))
    return rows


# Letters tesseract takes from other alphabets for Vietnamese ones: the Icelandic eth for Đ, a hooked f for F.
_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "Ƒ": "F", "ƒ": "f"})
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _toned_capital(char: str) -> bool:
    return char.isupper() and any(c in _TONE_MARKS for c in unicodedata.normalize("NFD", char))


def tidy(text: str) -> str:
    """A cell's words as tesseract gave them, with what it cannot tell apart settled: NFC, Đ for its look-alike,
    "…" for three dots, and a capital with a tone mark inside a word ("SỞ", "quyỀn") in the case of its word.

    Abbreviations carry no tone marks (BCĐ, TƯ, HĐND), so a toned capital after a word's first letter is the
    reader's doubt between two sizes of the same letter, unless the cell has no small letter at all.
    """
    text = unicodedata.normalize("NFC", text).translate(_LOOKALIKES)
    text = re.sub(r"\.{3,}|…\.*", "…", text)
    if not any(c.islower() for c in text):
        return text  # a heading in capitals: its case is as printed

    def word(match: re.Match) -> str:
        found = match.group(0)
        if not any(_toned_capital(c) for c in found[1:]):
            return found
        return found[0] + found[1:].lower()

    return re.sub(r"\w+", word, text)


def _levelled_grid(grey: Image.Image, scale: float):
    angle = skew_angle(grey)
    if angle is None:
        return grey, None
    paper = int(np.median(np.asarray(grey)[:: 8, :: 8]))
    levelled = grey.rotate(angle, resample=Image.BICUBIC, fillcolor=paper) if abs(angle) >= 0.05 else grey
    pixels = np.asarray(levelled)
    return levelled, find_grid(pixels < otsu(pixels), scale)


def _looks_turned(grid) -> bool:
    # An appendix has a narrow TT column on the left and few columns; a page upside down or on its side has not.
    widths = np.diff(grid.columns)
    return len(widths) > 9 or widths[0] > widths[-1] * 1.2


def _orientation(grey: Image.Image) -> int:
    """Degrees (counter-clockwise, for PIL) that turn the page upright, by tesseract's orientation detection."""
    small = grey.copy()
    small.thumbnail((1800, 1800))
    buffer = io.BytesIO()
    small.save(buffer, "PNG")
    try:
        done = subprocess.run(["tesseract", "-", "-", "--psm", "0", "--dpi", "150"], input=buffer.getvalue(),
                              capture_output=True, timeout=TIMEOUT, env=_environment())
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.search(rb"Rotate: (\d+)", done.stdout)
    confidence = re.search(rb"Orientation confidence: ([\d.]+)", done.stdout)
    if not found or not confidence or float(confidence.group(1)) < 2:
        return 0
    # Tesseract says how far to turn clockwise; PIL turns counter-clockwise.
    return (360 - int(found.group(1))) % 360


def _inked(ink: np.ndarray, box: tuple[int, int, int, int], scale: float):
    """The box trimmed to its ink, with a margin; None for a blank cell (tesseract invents text in noise)."""
    x0, y0, x1, y1 = box
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    cell = ink[y0:y1, x0:x1]
    # A speck is a few pixels; a letter at 200 dpi already darkens dozens in several rows.
    rows = np.flatnonzero(cell.sum(axis=1) >= 2)
    columns = np.flatnonzero(cell.sum(axis=0) >= 1)
    if cell.sum() < 30 * scale * scale or len(rows) < 6 * scale:
        return None
    margin = max(4, int(10 * scale))
    return (max(x0, x0 + columns[0] - margin), max(y0, y0 + rows[0] - margin),
            min(x1, x0 + columns[-1] + 1 + margin), min(y1, y0 + rows[-1] + 1 + margin))


NUMBER = re.compile(r"^(?:\d{1,3}|[IVXL]{1,5})\.?$")  # a row number: 1, 12, II, VIII.
# The header of the number column (TT, STT) stays spellable, so that it is not read as a number.
NUMBER_CHARACTERS = "0123456789IVXLST."


def _reread_numbers(pieces, texts, dpi: float) -> None:
    """The first column (TT: 1, 2, II, IV) read again by the English model restricted to numerals.

    The Vietnamese model takes a lone bold 'II' for 'H', '2' for 'z' or ')' and '1' for '+'; the English
    one with the numerals only gets nearly all of them. Its reading is kept when it is a number.
    """
    short = [(row, column, piece) for row, column, piece in pieces
             if column == 0 and len("".join(word for word, _ in texts.get((row, column), []))) <= 5]
    if not short:
        return
    for key, words in _ocr(short, dpi, "eng", ["-c", f"tessedit_char_whitelist={NUMBER_CHARACTERS}"]).items():
        number = "".join(word for word, _ in words)
        vietnamese = texts.get(key, [])
        if NUMBER.match(number) and number != "".join(word for word, _ in vietnamese):
            # The two readings disagree: the cell is as doubtful as the less sure of them.
            texts[key] = [(number, min(conf for _, conf in vietnamese + words))]


def _ocr(pieces, dpi: float, language: str, options=()) -> dict[tuple[int, int], list[tuple[str, float]]]:
    """Each cell's words with their confidences, from one tesseract run over the stacked cell images."""
    if not pieces:
        return {}
    width = max(piece.width for _, _, piece in pieces) + 2 * GAP
    height = sum(piece.height + GAP for _, _, piece in pieces) + GAP
    stack = Image.new("L", (width, height), 255)
    spans = []
    y = GAP
    for row, column, piece in pieces:
        # Stretch the paper to white and the ink to black, keeping the greys that carry the diacritics.
        stack.paste(ImageOps.autocontrast(piece, cutoff=1), (GAP, y))
        spans.append((y - GAP // 2, y + piece.height + GAP // 2, (row, column)))
        y += piece.height + GAP
    buffer = io.BytesIO()
    stack.save(buffer, "PNG")
    try:
        done = subprocess.run(["tesseract", "-", "-", "-l", language, "--psm", "6", "--dpi", str(round(dpi)),
                               *options, "tsv"],
                              input=buffer.getvalue(), capture_output=True, timeout=TIMEOUT, env=_environment())
    except (OSError, subprocess.SubprocessError) as exc:
        raise DocumentError("Không chạy được chương trình đọc chữ (tesseract): "
                            f"{type(exc).__name__}.") from None
    if done.returncode != 0:
        raise DocumentError("Chương trình đọc chữ (tesseract) báo lỗi: "
                            + done.stderr.decode("utf-8", "replace").strip()[-200:])
    words: dict[tuple[int, int], list[tuple[str, float]]] = {}
    reader = csv.DictReader(io.StringIO(done.stdout.decode("utf-8", "replace")), delimiter="\t",
                            quoting=csv.QUOTE_NONE)
    for line in reader:
        text = (line.get("text") or "").strip()
        if line.get("level") != "5" or not text:
            continue
        middle = int(line["top"]) + int(line["height"]) // 2
        for start, end, key in spans:
            if start <= middle < end:
                words.setdefault(key, []).append((text, max(0.0, float(line["conf"]))))
                break
    return words


def _jpeg(strip: Image.Image) -> bytes:
    if strip.width > STRIP_WIDTH:
        strip = strip.resize((STRIP_WIDTH, max(1, round(strip.height * STRIP_WIDTH / strip.width))), Image.LANCZOS)
    buffer = io.BytesIO()
    strip.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()
