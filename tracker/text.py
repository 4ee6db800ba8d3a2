"""Vietnamese text helpers: NFC normalisation and diacritic-insensitive folding."""
import re
import unicodedata

from markupsafe import Markup, escape

_SPACES = re.compile(r"\s+")
# "KH & ĐT" and "KH&ĐT", "LĐ - TB&XH" and "LĐ-TB&XH" are written both ways in the plan.
_TIGHT = re.compile(r"\s*([&\-–/])\s*")


def nfc(text: str | None) -> str:
    """Return text in NFC with runs of white space collapsed and ends trimmed."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text: str | None) -> str:
    """Fold text for search: no diacritics, đ→d, case-folded, single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Đ/đ carry a stroke, not a combining mark, so NFD leaves them alone.
    stripped = stripped.replace("Đ", "D").replace("đ", "d")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def fold_key(text: str | None) -> str:
    """Fold text into a matching key that also ignores spacing around & - / and end punctuation."""
    key = _TIGHT.sub(lambda m: "-" if m.group(1) == "–" else m.group(1), fold(text))
    return key.strip(" .;:,")


# The Vietnamese alphabet, with the Latin letters it borrows (f, j, w, z) at their Latin places.
_ALPHABET = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "ô",
             "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z"]
# Letter marks are part of the letter (ă after a); a tone mark breaks ties within a syllable, in the
# order taught: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": "01", "\u0309": "02", "\u0303": "03", "\u0301": "04", "\u0323": "05"}
# Two digits a symbol, so the key compares alike under SQLite's binary order and any PostgreSQL locale:
# 00 ends a syllable (so "Ma" comes before "Mac"), 02-11 are the digits, then the letters.
_RANKS = {**{str(d): f"{d + 2:02d}" for d in range(10)},
          **{letter: f"{i + 12:02d}" for i, letter in enumerate(_ALPHABET)}}


def sort_key(text: str | None) -> str:
    """A key that orders names as a Vietnamese dictionary does: Bắc Sơn before Bình Gia, Đ after D.

    Syllable by syllable: letters first (a < ă < â < b … d < đ), then the syllable's tone, so
    "Đình Lập" comes before "Định". Punctuation is ignored. Only digits, so SQL ORDER BY on it
    agrees with Python's sorted().
    """
    key = []
    for syllable in nfc(text).casefold().split():
        tone = "00"
        for char in unicodedata.normalize("NFD", syllable):
            if char in _TONES:
                tone = _TONES[char]
        letters = [_RANKS[c] for c in unicodedata.normalize("NFC", _strip_tones(syllable)) if c in _RANKS]
        if letters:
            key.append("".join(letters) + "00" + tone)
    return "".join(key)


def _strip_tones(syllable: str) -> str:
    """The syllable without its tone mark, letter marks kept (ắ -> ă)."""
    return "".join(c for c in unicodedata.normalize("NFD", syllable) if c not in _TONES)


def nfc_lines(text: str | None) -> str:
    """Like `nfc`, line by line: a note or a report keeps its line breaks (at most one blank line in a row)."""
    lines = [nfc(line) for line in unicodedata.normalize("NFC", str(text or "")).splitlines()]
    kept = [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
    return "\n".join(kept).strip()


def line_breaks(text: str | None):
    """Text shown with its line breaks kept: each line escaped, joined by <br> (a report, a note, a comment)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>\n").join(escape(line) for line in lines)
