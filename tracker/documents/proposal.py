"""Turn a document's raw table rows into proposed appendix rows: numbered, corrected, flagged for review.

Pure functions (no database, no Flask). A proposal is only a suggestion: every correction keeps the text as
read (`read_as`) and is flagged, so the office sees what the machine changed before anything is imported.
"""
from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ..plan.appendix import COLUMN_LABELS, HEADERS
from ..plan.cells import read_cell
from ..plan.timeline import parse_timeline
from ..text import fold, fold_key, nfc
from .table import DocumentError, RawRow

FIELDS = ("tt", "title", "lead", "executing", "coordinating", "timeline")
BODY = ("lead", "executing", "coordinating")
LOW_CONFIDENCE = 50  # tesseract's word confidence below which a title or timeline is worth a second look
HEADER_CUTOFF = 0.8  # difflib ratio for a header cell read with OCR noise ("Chỉ pạo", "Thòi gian")
BODY_CUTOFF = 0.85  # difflib ratio for an agency name read with a letter or two wrong
RARE_SPELLING = 5  # a word's marks are corrected when another spelling of its letters is this many times as common
REQUIRED = {"section": ("title",), "item": ("title", "executing", "timeline")}

_EDGE = "|_—~¦‖ "  # table rules and smudges the reader takes for characters at a cell's edge
_ROMAN = re.compile(r"^(?=[IVX]+$)X{0,3}(?:IX|IV|V?I{0,3})$")
_NUMERALS = [""] + "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX".split()
# What tesseract makes of I and 1 in the TT column: "H" is a squashed "II", "TV" an "IV", "l"/"|" an "I".
_ROMAN_OCR = str.maketrans({"l": "i", "1": "i", "t": "i", "|": "i", "!": "i", "j": "i"})
_DIGIT_OCR = str.maketrans({"l": "1", "I": "1", "|": "1", "!": "1", "O": "0", "o": "0"})
_COLUMN_NUMBER = re.compile(r"^[(\[]?[\dlIO|]{1,2}[)\]]?\.?$")
_SEPARATOR = re.compile(r"(\s*[,;]\s*|\s+và\s+)", re.IGNORECASE)
_LIST_HEADER = re.compile(r"^(các sở(?:, ngành)?\s*:\s*)", re.IGNORECASE)
_TIGHT = re.compile(r"\s*([&\-–/])\s*")

# Short forms carrying Đ that no canonical agency name spells out (seen in the glossary), so a "BCP" can be
# written back as the office writes it; other abbreviations come from the directory's names.
_ABBREVIATIONS = tuple("UBND HĐND BCĐ BQL VPĐP KH&ĐT KHĐT TC GD&ĐT TT&TT VHTT&DL TN&MT LĐ-TB&XH LĐTB&XH GTVT CHQS "
                       "MTTQ NTM MTQG CTMTQG OCOP HTX TP GĐ NN&PTNT NN PTNT KH ĐT QĐ NĐ CP BC KT TM TL VT".split())
# Timeline words written back with their marks once the phrase is understood ("Quy I" -> "Quý I").
_TIMELINE_WORDS = {fold(w): w for w in "quý tháng thường xuyên hàng định kỳ và đột xuất kế hoạch đã được phê duyệt "
                                         "cả năm một lần đến theo".split()}

# A Vietnamese syllable, tone marks removed but letter marks kept: onset, vowel group, final consonant.
# Bare "p" is left out on purpose: no native syllable starts with it, and "P" is how OCR misreads "Đ".
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnrstvx])?"
_VOWELS = ("a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ uy "
           "ưa ưi ưu ươ yê oai oay oao oeo uây uôi ươi ươu uya uyê uyu iêu yêu").split()
_SYLLABLE = re.compile(rf"^({_ONSET})({'|'.join(sorted(_VOWELS, key=len, reverse=True))})"
                       r"(ch|nh|ng|[cmnpt])?$")
_NEEDS_FINAL = {"ă", "â", "iê", "yê", "uô", "ươ", "uyê", "oă", "uâ"}
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD_SPLIT = re.compile(r"[\s,;:()\[\]\"“”‘’«»…?!./+*]+")


@dataclass
class ProposedRow:
    """One row as proposed for review: its cells, their flags and what was read where a correction changed it."""

    position: int
    page: int
    is_section: bool
    tt: str = ""
    title: str = ""
    lead: str = ""
    executing: str = ""
    coordinating: str = ""
    timeline: str = ""
    flags: dict[str, list[str]] = field(default_factory=dict)
    read_as: dict[str, str] = field(default_factory=dict)
    source: int = 0

    def flag(self, name: str, code: str) -> None:
        """Add a flag code to a field, once."""
        codes = self.flags.setdefault(name, [])
        if code not in codes:
            codes.append(code)


def clean(text: str | None) -> str:
    """A cell's text cleaned of what a reader adds: NFC, single spaces, no stray rules or smudges at its edges."""
    text = nfc(text)
    while text and (text[0] in _EDGE or text[-1] in _EDGE):
        text = text.strip(_EDGE)
    return text


def _header_field(text: str) -> str | None:
    key = fold(clean(text)).strip(" .:*()")
    if key in HEADERS or len(key) > 30:  # no header is that long: a body cell, not worth a fuzzy match
        return HEADERS.get(key)
    close = difflib.get_close_matches(key, list(HEADERS), n=1, cutoff=HEADER_CUTOFF) if len(key) > 2 else []
    return HEADERS[close[0]] if close else None


def _row_fields(texts: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for column, text in enumerate(texts):
        name = _header_field(text)
        if name and name not in mapping:
            mapping[name] = column
    return mapping


def _complete(mapping: dict[str, int]) -> dict[str, int]:
    # "TT" is two letters, too short for a fuzzy match: OCR's "T1" or "IT" is taken as TT when it stands just
    # left of the title and every other column was found.
    left = mapping.get("title", 0) - 1
    if "tt" not in mapping and left >= 0 and left not in mapping.values():
        mapping = {**mapping, "tt": left}
    return mapping


def _find_header(rows: list[RawRow]) -> tuple[int, dict[str, int]]:
    """The index of the header's last row and the column of each field; DocumentError naming what is missing."""
    best: dict[str, int] = {}
    for index, row in enumerate(rows[:40]):
        mapping = _complete(_row_fields(row.texts))
        end = index
        if not all(name in mapping for name in FIELDS) and index + 1 < len(rows):
            # A two-row header: "Cơ quan" spanning "Thực hiện" and "Phối hợp" underneath.
            below = _row_fields(rows[index + 1].texts)
            joined = _complete({**below, **_row_fields(row.texts)})
            if len(joined) > len(mapping):
                mapping, end = joined, index + 1
        if all(name in mapping for name in FIELDS):
            return end, mapping
        if sum(n in mapping for n in FIELDS) > sum(n in best for n in FIELDS):
            best = mapping
    missing = ", ".join(COLUMN_LABELS[name] for name in FIELDS if name not in best)
    raise DocumentError(f"Không tìm thấy bảng phụ lục: thiếu các cột {missing}.")


def _is_furniture(texts: list[str]) -> bool:
    """A header repeated on a new page, or the row of column numbers ("1 2 3…", "(1) (2)…") under it."""
    filled = [clean(t) for t in texts if clean(t)]
    return (len(filled) >= 3 and all(_COLUMN_NUMBER.match(t) for t in filled)) or \
        (len(filled) >= 2 and all(_header_field(t) or fold(t) == "co quan" for t in filled))


def _roman_value(tt: str) -> int | None:
    key = fold(tt).rstrip(".").replace(" ", "").replace("h", "ii").translate(_ROMAN_OCR).upper()
    return _NUMERALS.index(key) if key and _ROMAN.match(key) and key in _NUMERALS else None


def _digit_value(tt: str) -> int | None:
    key = tt.rstrip(".").replace(" ", "").translate(_DIGIT_OCR)
    return int(key) if key.isdigit() else None


def _is_section(tt: str, body_empty: bool, next_section: int, next_item: int) -> bool:
    roman, digit = _roman_value(tt), _digit_value(tt)
    if not body_empty:
        # Items carry agencies and a timeline; only a clean numeral such as "V" makes such a row a section.
        return digit is None and roman is not None and bool(_ROMAN.match(tt.rstrip(".")))
    if roman is None:
        return False
    # "11" may be a section II or item 11, "I" section I or item 1: the expected next number decides.
    return digit is None or roman == next_section or digit != next_item


def _with_case(read: str, spelling: str) -> str:
    """The spelling with the case of the text as read, letter by letter (same length)."""
    return "".join(b.upper() if r.isupper() else b for r, b in zip(read, spelling))


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,;:]+", _TIGHT.sub(r"\1", text)) if w]


class _Directory:
    """The aliases, and how this document and the directory write each of them, to write a match back."""

    def __init__(self, aliases: dict[str, str], texts: list[str]):
        self.aliases = aliases
        self.keys = list(aliases)
        # The most fragments one alias spans ("BCĐ huyện, BCĐ, BQL xã": three), to bound the runs tried.
        self.max_span = 1 + max((len(re.findall(r"[,;]|\sva\s", k)) for k in aliases), default=0)
        # Whole phrases vote first ("BCĐ tỉnh" as the document writes it elsewhere, a name as the directory
        # writes it); single words only for a damaged phrase nobody wrote cleanly. Names count more than the
        # document, where a damaged copy votes too; the Đ abbreviations most, since no name spells them.
        self.phrases: dict[str, Counter] = {}
        self.lexicon: dict[str, Counter] = {}
        for name in set(aliases.values()):
            self.phrases.setdefault(fold_key(name), Counter())[name] += 3
        for weight, source in ((100, _ABBREVIATIONS), (3, set(aliases.values())), (1, texts)):
            for text in source:
                for word in _words(text):
                    self.lexicon.setdefault(fold(word), Counter())[word] += weight
        for text in texts:
            for key, core in self._walk(text, guess=False):
                if key is not None:
                    self.phrases.setdefault(key, Counter())[core] += 1

    def _spell_word(self, key_word: str, read: str | None) -> str:
        counts = self.lexicon.get(key_word)
        if read is not None and fold(read) == key_word:
            # The letters agree. Keep the marks unless they are rare beside another spelling ("cáp" where "cấp"
            # is everywhere): a closer call could turn one real word into another (cơ/có).
            marks = Counter()
            for word, count in (counts or {}).items():
                marks[word.casefold()] += count
            marks[read.casefold()] -= 1
            best, most = max(marks.items(), key=lambda pair: pair[1], default=(read.casefold(), 0))
            if best == read.casefold() or marks[read.casefold()] * RARE_SPELLING >= most:
                return read
            return _with_case(read, best) if len(best) == len(read) else read
        return counts.most_common(1)[0][0] if counts else read.upper() if read and read.isupper() else key_word

    def respell(self, key: str, read: str) -> str:
        """The alias written as the document (elsewhere) or the directory writes it; word by word if nobody does."""
        votes = Counter()
        for written, count in self.phrases.get(key, Counter()).items():
            votes[written.casefold()] += count
        votes[read.casefold()] -= 1  # the fragment's own vote (as read) does not count for itself
        votes = +votes
        if votes:
            best = votes.most_common(1)[0][0]
            if fold_key(best) == fold_key(read) and len(best) == len(read):
                return _with_case(read, best)  # the usual marks in the document's case: "Sỏ" -> "Sở"
            spellings = self.phrases[key]
            return max((w for w in spellings if w.casefold() == best), key=spellings.__getitem__)
        key_parts = re.split(r"(\s+|,\s*)", key)
        read_words = _words(read)
        aligned = read_words if len(read_words) == len(key_parts[0::2]) else [None] * len(key_parts[0::2])
        return "".join(self._spell_word(part, aligned[i // 2]) if i % 2 == 0 else part
                       for i, part in enumerate(key_parts))

    def close_key(self, text: str, same_pieces: bool = False) -> str | None:
        """The alias key a damaged fragment stands for: Đ read as P, then a near spelling; None if nothing is near."""
        key = fold_key(text)
        spots = [i for i, c in enumerate(key) if c == "p" and key[i + 1:i + 2] != "h"][:4]
        for count in range(1, len(spots) + 1):
            for chosen in itertools.combinations(spots, count):
                variant = "".join("d" if i in chosen else c for i, c in enumerate(key))
                if variant in self.aliases:
                    return variant
        keys = [k for k in self.keys if len(_SEPARATOR.split(k)) == len(_SEPARATOR.split(key))] if same_pieces \
            else self.keys
        return next(iter(difflib.get_close_matches(key, keys, n=1, cutoff=BODY_CUTOFF)), None)

    def _run(self, frags, seps, i, last, exact, same_pieces=False):
        """The longest run of fragments i..j (j down to `last`) that is an alias, as (j, [(None, list header),
        (key, core)]); None if no run is."""
        for j in range(min(len(frags), i + self.max_span) - 1, last - 1, -1):
            span = "".join(f + (seps[k] if k < j else "") for k, f in enumerate(frags[i:j + 1], start=i))
            header = _LIST_HEADER.match(span)
            core = span[header.end():] if header else span
            key = fold_key(core) if exact else self.close_key(core, same_pieces)
            if key and key in self.aliases:
                return j, [(None, span[:len(span) - len(core)]), (key, core)]
        return None

    def _walk(self, text: str, guess: bool) -> list[tuple[str | None, str]]:
        """Split a cell into the longest runs of fragments that are aliases (with guess, near ones too), as
        (alias key, text) pairs; separators, list headers ("các Sở: ") and unknown fragments have key None."""
        parts = _SEPARATOR.split(text)
        frags, seps = parts[0::2], parts[1::2]
        out: list[tuple[str | None, str]] = []
        i = 0
        while i < len(frags):
            run = self._run(frags, seps, i, i, True) or (self._run(frags, seps, i, i, False) if guess else None)
            end, found = run or (i, [(None, frags[i])])
            if guess and run and end + 1 < len(frags) and \
                    fold_key(frags[end + 1]) not in self.aliases and not self.close_key(frags[end + 1]):
                # An alias, then a fragment nobody knows: perhaps a longer name read with a letter wrong
                # ("Các phòng chuyên môn cấp huyện, IF" for the alias ending in ", TP").
                end, found = self._run(frags, seps, i, end + 1, False, same_pieces=True) or (end, found)
            out.extend(found)
            if end < len(seps):
                out.append((None, seps[end]))
            i = end + 1
        return out

    def correct(self, text: str) -> str:
        """The cell with each alias written as the directory and document write it; unknown fragments as typed."""
        # Near matches only where the resolver itself is lost: a cell it reads whole is never rewritten by guess.
        pieces = self._walk(text, guess=bool(read_cell(text, self.aliases).unknown))
        return "".join(self.respell(key, part) if key is not None else part for key, part in pieces)


def _plausible_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tones = [c for c in decomposed if c in _TONES]
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    match = _SYLLABLE.match(bare)
    if not match or len(tones) > 1:
        return False
    onset, vowels, final = match.groups()
    # Spelling rules of the alphabet: k/gh/ngh before i e ê y, c/g/ng elsewhere.
    front = vowels[0] in "ieêy"
    if (onset in ("c", "ng", "g") and front and not (onset == "g" and vowels[0] == "i")) or \
            (onset in ("k", "gh", "ngh") and not front):
        return False
    # These vowel groups never end a syllable ("chuơng", "tiê" are misreadings); "uơ" never takes a final.
    if (not final and vowels in _NEEDS_FINAL) or (final and vowels == "uơ"):
        return False
    # A syllable closed by c, ch, p or t takes only the rising or the heavy tone ("hoach" lost its dot).
    return not (final in ("c", "ch", "p", "t") and (not tones or tones[0] not in ("\u0301", "\u0323")))


def odd_words(text: str, known: set[str]) -> list[str]:
    """Words of a cell that are no plausible Vietnamese syllable, number, Roman numeral or known short form."""
    odd = []
    for token in _WORD_SPLIT.split(_TIGHT.sub(r"\1", text)):
        token = token.strip("-&'")
        if not token or token in known:
            continue
        pieces = [p for p in re.split(r"[-&–/']", token) if p]
        if not all(p.isdigit() or p in known or _ROMAN.match(p) or _plausible_syllable(p) for p in pieces):
            odd.append(token)
    return odd


def _known_words(aliases: dict[str, str]) -> set[str]:
    known = set(_ABBREVIATIONS)
    for name in aliases.values():
        for word in _WORD_SPLIT.split(_TIGHT.sub(r"\1", name)):
            if word and not _plausible_syllable(word):
                known.add(word)
                known.update(p for p in re.split(r"[-&]", word) if p)
    return known


def _respell_timeline(text: str) -> str:
    def word(match: re.Match) -> str:
        found = _TIMELINE_WORDS.get(fold(match.group(0)))
        return match.group(0) if found is None else _with_case(match.group(0), found)
    return re.sub(r"\w+", word, text)


_Merged = tuple[int, int, dict[str, str], dict[str, float | None]]  # source index, last page, texts, confidences


def _merge(rows: list[RawRow], start: int, columns: dict[str, int]) -> list[_Merged]:
    """Rows after the header by field; repeated headers and column numbers dropped, a page's first row without
    TT joined to the row before it."""
    merged: list[_Merged] = []
    for index in range(start, len(rows)):
        row = rows[index]
        if _is_furniture(row.texts):
            continue
        found = {name: row.cells[col] for name, col in columns.items() if name in FIELDS and col < len(row.cells)}
        cells = {name: found[name].text if name in found else "" for name in FIELDS}
        confidence = {name: found[name].confidence if name in found else None for name in FIELDS}
        if not any(clean(v) for v in cells.values()):
            continue
        if merged and not clean(cells["tt"]) and row.page > merged[-1][1]:
            # A row cut by the page break: the table goes on at the top of the next page without a number.
            _, page, before, sure = merged[-1]
            for name, text in cells.items():
                before[name] = " ".join(t for t in (before[name], text) if clean(t))
                if confidence[name] is not None:
                    sure[name] = confidence[name] if sure[name] is None else min(sure[name], confidence[name])
            merged[-1] = (merged[-1][0], row.page, before, sure)
            continue
        merged.append((index, row.page, cells, confidence))
    return merged


def propose(rows: list[RawRow], aliases: dict[str, str], year: int) -> list[ProposedRow]:
    """The document's table as rows for review: renumbered, agencies corrected, doubts flagged."""
    header, columns = _find_header(rows)
    merged = _merge(rows, header + 1, columns)
    directory = _Directory(aliases, [clean(cells[n]) for _, _, cells, _ in merged for n in BODY])
    known = _known_words(aliases)
    proposed: list[ProposedRow] = []
    sections = items = 0
    for position, (source, _, cells, confidence) in enumerate(merged, start=1):
        first_page = rows[source].page
        text = {name: clean(cells[name]) for name in FIELDS}
        if all(text[n] and text[n] == text["title"] for n in ("lead", "executing", "coordinating", "timeline")):
            text.update(lead="", executing="", coordinating="", timeline="")  # a title spanning the row, repeated
        body_empty = not any(text[n] for n in (*BODY, "timeline"))
        is_section = _is_section(text["tt"], body_empty, sections + 1, items + 1)
        row = ProposedRow(position, first_page, is_section, source=source, **text)
        sections, items = (sections + 1, 0) if is_section else (sections, items + 1)
        rebuilt = (_NUMERALS[sections] if sections < len(_NUMERALS) else str(sections)) if is_section else str(items)
        if text["tt"].rstrip(".)").upper() != rebuilt:
            row.read_as["tt"] = text["tt"]
            row.flag("tt", "numbering")
        row.tt = rebuilt
        for name in (n for n in REQUIRED["section" if is_section else "item"] if not text[n]):
            row.flag(name, "empty")
        if not is_section:
            _check_item(row, directory, year)
        for name in FIELDS:
            sure = confidence.get(name)
            # A doubtful reading matters where nothing else checks the text: not the number (rebuilt and compared
            # above), nor agencies every one of which the directory knows (a misread name is corrected or unknown).
            checked = name == "tt" or (name in BODY and not is_section and "unknown_body" not in row.flags.get(name, ()))
            if sure is not None and sure < LOW_CONFIDENCE and text[name] and not checked:
                row.flag(name, "low_confidence")
            if name != "tt" and odd_words(getattr(row, name), known):
                row.flag(name, "odd_words")
        proposed.append(row)
    return proposed


def _check_item(row: ProposedRow, directory: _Directory, year: int) -> None:
    for name in BODY:
        text = getattr(row, name)
        if not text:
            continue
        corrected = directory.correct(text)
        if corrected != text:
            row.read_as[name] = text
            row.flag(name, "corrected")
            setattr(row, name, corrected)
        if read_cell(corrected, directory.aliases).unknown:
            row.flag(name, "unknown_body")
    if row.timeline:
        schedule = parse_timeline(row.timeline, year)
        if schedule.needs_date:
            row.flag("timeline", "timeline")
        else:
            respelled = _respell_timeline(row.timeline)
            if respelled != row.timeline:
                row.read_as["timeline"] = row.timeline
                row.flag("timeline", "corrected")
                row.timeline = respelled


def to_appendix_rows(proposed) -> list[list[str]]:
    """The reviewed rows as an appendix table (header first) for `parse_appendix`, the command line's own path."""
    header = [COLUMN_LABELS[name] for name in FIELDS] + [COLUMN_LABELS["note"]]
    return [header] + [[getattr(row, name) or "" for name in FIELDS] + [""] for row in proposed]


def flags_left(proposed) -> int:
    """How many cells of the proposed rows are still flagged."""
    return sum(1 for row in proposed for codes in (row.flags or {}).values() if codes)
