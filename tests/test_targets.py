"""The plan's numbers (seeds/targets-2021.toml) against values typed from the plan, and its own arithmetic."""
from __future__ import annotations

import csv
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

SEEDS = Path(__file__).parents[1] / "seeds"
TARGETS = tomllib.loads((SEEDS / "targets-2021.toml").read_text(encoding="utf-8"))

# Typed from section I.2 of the plan: criterion -> (communes added, communes at the end of 2021, % stated).
TYPED = {
    1: (None, 181, 100), 2: (18, 96, 53), 3: (6, 176, 97.2), 4: (11, 121, 66.9), 5: (8, 82, 45.3),
    6: (14, 81, 44.8), 7: (4, 161, 89), 8: (None, 119, 65.7), 9: (18, 147, 81.2), 10: (9, 84, 46.4),
    11: (11, 105, 58), 12: (None, 181, 100), 13: (20, 140, 77.3), 14: (None, 180, 99.5), 15: (11, 160, 88.4),
    16: (16, 139, 76.8), 17: (17, 85, 47), 18: (28, 119, 65.7), 19: (None, 171, 95),
}


def rounded(value: float, like: float) -> Decimal:
    """value rounded half up to as many decimals as `like` has (the plan writes 53%, 97,2%, 1,47%)."""
    places = Decimal(1).scaleb(Decimal(str(like)).as_tuple().exponent)
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def test_all_19_criteria_as_the_plan_states_them():
    criteria = {c["number"]: c for c in TARGETS["criterion"]}
    assert sorted(criteria) == list(range(1, 20))
    for number, (added, target, percent) in TYPED.items():
        c = criteria[number]
        assert (c.get("added"), c["target"], c["percent"]) == (added, target, percent), number


def test_the_headline_targets_and_funding_as_stated():
    headline = {h["key"]: h for h in TARGETS["headline"]}
    assert (headline["ntm_communes"]["added"], headline["ntm_communes"]["target"]) == (10, 75)
    assert (headline["average_criteria"]["low"], headline["average_criteria"]["high"]) == (13.5, 14)
    assert headline["advanced_communes"]["target"] == 5
    assert (headline["model_residential_areas"]["low"], headline["model_residential_areas"]["high"]) == (2, 3)
    assert headline["model_gardens"]["at_least"] == 1
    assert (headline["border_villages"]["added"], headline["border_villages"]["target"],
            headline["border_villages"]["of"]) == (35, 110, 156)
    assert (headline["border_communes_criteria"]["communes"], headline["border_communes_criteria"]["low"],
            headline["border_communes_criteria"]["high"]) == (20, 14, 14.5)
    ocop = headline["ocop"]
    assert (ocop["at_least"], ocop["three_star_low"], ocop["three_star_high"], ocop["four_star_low"],
            ocop["four_star_high"]) == (15, 5, 10, 2, 3)
    assert [(d["band"], d["communes"], d["percent"]) for d in TARGETS["distribution"]] == [
        ("19", 75, 41.4), ("15-18", 1, 0.5), ("10-14", 70, 38.7), ("5-9", 35, 19.3)]
    funding = TARGETS["funding"]
    assert funding["total"] == 4756
    assert [(s["key"], s["amount"], s["percent"]) for s in funding["source"]] == [
        ("direct", 643, 13.5), ("integrated", 580, 12.2), ("enterprises", 70, 1.47), ("credit", 3200, 67.3),
        ("community", 273, 5.7)]
    aims = {c["number"]: c.get("aims", []) for c in TARGETS["criterion"]}
    assert [(a["value"], a["unit"]) for a in aims[2]][:2] == [(350, "km"), (48, "%")]
    assert [a["value"] for a in aims[3]] == [40, 50, 35500]


def plan_arithmetic_that_does_not_add_up() -> list[str]:
    """Where the plan's figures disagree with each other: each must be listed in `doubts`."""
    found = []
    communes = TARGETS["communes"]
    for c in TARGETS["criterion"]:
        if rounded(100 * c["target"] / communes, c["percent"]) != Decimal(str(c["percent"])):
            found.append(f"Tiêu chí số {c['number']}")
    for d in TARGETS["distribution"]:
        if rounded(100 * d["communes"] / communes, d["percent"]) != Decimal(str(d["percent"])):
            found.append("Phân bố số xã theo số tiêu chí")
    funding = TARGETS["funding"]
    if sum(s["amount"] for s in funding["source"]) != funding["total"]:
        found.append("Nguồn vốn")
    for s in funding["source"]:
        assert rounded(100 * s["amount"] / funding["total"], s["percent"]) == Decimal(str(s["percent"])), s["key"]
    return found


def test_every_figure_that_does_not_add_up_is_listed_for_the_office():
    doubts = " ".join(d["where"] for d in TARGETS["doubts"])
    disagreements = plan_arithmetic_that_does_not_add_up()
    assert disagreements == ["Tiêu chí số 14", "Tiêu chí số 19", "Phân bố số xã theo số tiêu chí", "Nguồn vốn"]
    for place in disagreements:
        assert place in doubts
    assert sum(d["communes"] for d in TARGETS["distribution"]) == TARGETS["communes"]


@pytest.mark.parametrize("criterion", TARGETS["criterion"], ids=lambda c: str(c["number"]))
def test_each_criterion_names_a_responsible_department_the_seeds_know(criterion):
    with open(SEEDS / "agencies.csv", encoding="utf-8") as f:
        names = {row["name"] for row in csv.DictReader(f)}
    assert criterion["responsible"] in names
    assert criterion["name"] and criterion["target"] <= TARGETS["communes"]
    if "added" in criterion:
        assert 0 < criterion["added"] <= criterion["target"]
