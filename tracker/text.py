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
