"""Split an appendix cell such as "Sở KH&ĐT, TC và VPĐP" into the bodies it names."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import fold_key

# "các Sở: Y tế, GD&ĐT" introduces a list of departments by their short names.
_LIST_HEADER = re.compile(r"^(?:cac so|cac so, nganh)\s*:\s*")
_SEPARATOR = re.compile(r"^(?:[,;:]\s*|va\s+|and\s+)")
_UNKNOWN_END = re.compile(r"\s*(?:[,;]|\s va\s)")


@dataclass
class CellReading:
    """The bodies a cell names, in order, and the fragments no alias matched."""

    matched: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def read_cell(text: str | None, aliases: dict[str, str]) -> CellReading:
    """Resolve a cell against folded aliases (alias key -> canonical name), longest alias first.

    Commas separate bodies, but also appear inside names ("BCĐ cấp huyện, xã"), so the
    longest known alias at each position wins before the text is split at a separator.
    """
    reading = CellReading()
    rest = fold_key(text)
    keys = sorted(aliases, key=len, reverse=True)
    while rest:
        stripped = _LIST_HEADER.sub("", _SEPARATOR.sub("", rest))
        if stripped != rest:
            rest = stripped
            continue
        for key in keys:
            if rest.startswith(key) and (len(rest) == len(key) or not rest[len(key)].isalnum()):
                name = aliases[key]
                if name not in reading.matched:
                    reading.matched.append(name)
                rest = rest[len(key):].lstrip(" .")
                break
        else:
            end = _UNKNOWN_END.search(rest)
            fragment = rest[: end.start()] if end else rest
            reading.unknown.append(fragment.strip())
            rest = rest[len(fragment):]
    return reading
