"""Vietnamese text helpers: NFC normalisation and diacritic-insensitive folding."""
import re
import unicodedata

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
# Letter marks are part of the letter (ă after a); tone marks only break ties, in the order taught:
# ngang, huyền, hỏi, ngã, sắc, nặng.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
# Two digits a symbol so the key compares alike under SQLite's binary order and any PostgreSQL locale:
# 00 ends a word list (shorter names first), 01 is a space, 02-11 the digits, then the letters.
_RANKS = {" ": "01", **{str(d): f"{d + 2:02d}" for d in range(10)},
          **{letter: f"{i + 12:02d}" for i, letter in enumerate(_ALPHABET)}}


def sort_key(text: str | None) -> str:
    """A key that orders names as a Vietnamese reader expects: Bắc Sơn before Bình Gia, Đ after D.

    Letters compare first (a < ă < â < b … d < đ), tones only between otherwise equal names;
    punctuation is ignored. Only digits, so SQL ORDER BY on it agrees with Python's sorted().
    """
    letters, tones = [], []
    for char in unicodedata.normalize("NFD", nfc(text).casefold()):
        if unicodedata.combining(char):
            if char in _LETTER_MARKS and letters:
                base = _ALPHABET[int(letters[-1]) - 12] if letters[-1] >= "12" else ""
                composed = unicodedata.normalize("NFC", base + char)
                letters[-1] = _RANKS.get(composed, letters[-1])
            elif char in _TONES:
                tones.append(_TONES[char])
            continue
        rank = _RANKS.get(char)
        if rank is not None:
            letters.append(rank)
            tones.append("0")
    return "".join(letters) + "00" + "".join(tones)
