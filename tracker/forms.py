"""Form helpers every domain shares."""
from __future__ import annotations

from wtforms import SelectChoice


def choices(any_label: str, labels: dict[str, str]) -> list[SelectChoice]:
    """An "any" choice followed by one choice per value."""
    return [SelectChoice("", any_label), *(SelectChoice(value, label) for value, label in labels.items())]
