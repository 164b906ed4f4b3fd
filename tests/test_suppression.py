"""The suppression rule against an attacker who solves for every hidden cell (issue 20)."""

from __future__ import annotations

import random

import pytest

from tests.attacker import assert_protected, ranges
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TOTAL,
    naloxone_identities,
    naloxone_table,
    training_identities,
    training_table,
)
from tracker.exports.suppression import HIDDEN, Identity, protect
from tracker.models.distribution import RECIPIENT_GROUPS as GROUPS
from tracker.models.distribution import REFILL_REASONS as REASONS
from tracker.models.training import AUDIENCES

KINDS = ("cpr", "naloxone", "first_aid")


def _count(rng: random.Random, empty: float) -> int:
    roll = rng.random()
    if roll < empty:
        return 0
    return rng.randint(1, 4) if roll < empty + (1 - empty) / 2 else rng.randint(5, 40)


def naloxone_figures(rng: random.Random, sites: int) -> dict[int, dict[str, int]]:
    """Kits per group x (first, or refill with a reason), summed into the sheet's keys."""
    figures: dict[int, dict[str, int]] = {}
    empty = rng.choice((0.5, 0.8, 0.95))
    for site in range(sites):
        f = dict.fromkeys(NALOXONE_KEYS, 0)
        for group in GROUPS:
            for reason in (None, *REASONS):
                kits = _count(rng, empty)
                f["kits"] += kits
                f[f"group.{group}"] += kits
                f["first" if reason is None else "refill"] += kits
                if reason:
                    f[f"reason.{reason}"] += kits
        figures[site] = f
    return figures


def training_figures(rng: random.Random, sites: int) -> dict[tuple[int, str], dict[str, int]]:
    empty = rng.choice((0.3, 0.6, 0.9))
    return {
        (site, kind): {a: _count(rng, empty) for a in AUDIENCES}
        for site in range(sites)
        for kind in KINDS
    }


def flat(table: dict) -> dict:
    return {(row, key): value for row, cells in table.items() for key, value in cells.items()}


@pytest.mark.parametrize("seed", range(60))
def test_no_small_naloxone_figure_can_be_worked_out(seed):
    rng = random.Random(seed)
    sites = list(range(rng.randint(1, 5)))
    figures = naloxone_figures(rng, len(sites))
    true = flat(naloxone_table(figures, sites, external=False, threshold=5))
    shown = flat(naloxone_table(figures, sites, external=True, threshold=5))
    assert_protected(shown, true, naloxone_identities(sites))


@pytest.mark.parametrize("seed", range(60))
def test_no_small_training_figure_can_be_worked_out(seed):
    rng = random.Random(seed)
    sites = list(range(rng.randint(1, 5)))
    figures = training_figures(rng, len(sites))
    true = flat(training_table(figures, sites, KINDS, external=False, threshold=5))
    shown = flat(training_table(figures, sites, KINDS, external=True, threshold=5))
    assert_protected(shown, true, training_identities(sites, KINDS))


def test_a_lone_small_part_takes_the_smallest_other_part_along_never_a_zero():
    values = {"total": 30, "a": 2, "b": 7, "c": 21, "d": 0}
    shown = protect(values, [Identity("total", ("a", "b", "c", "d"))], 5)
    assert shown == {"total": 30, "a": "<5", "b": HIDDEN, "c": 21, "d": 0}


def test_two_small_parts_alone_would_be_pinned_by_their_bounds_so_one_more_is_hidden():
    # 1 + 1 with a visible total of 2 leaves both exactly 1: a third figure goes too.
    values = {"total": 12, "a": 1, "b": 1, "c": 10}
    shown = protect(values, [Identity("total", ("a", "b", "c"))], 5)
    assert shown == {"total": 12, "a": "<5", "b": "<5", "c": HIDDEN}


def test_the_total_is_hidden_when_no_other_part_can_be():
    values = {"total": 3, "a": 3, "b": 0}
    shown = protect(values, [Identity("total", ("a", "b"))], 5)
    assert shown == {"total": "<5", "a": "<5", "b": 0}
    values = {"total": 9, "a": 3, "b": 6}
    shown = protect(
        {**values, "t2": 9}, [Identity("total", ("a", "b")), Identity("t2", ("total",))], 5
    )
    assert shown["a"] == "<5"
    assert shown["b"] == HIDDEN


def test_internal_tables_are_not_touched():
    figures = {0: {"kits": 3, "group.pwud": 3, "first": 3}}
    table = naloxone_table(figures, [0], external=False, threshold=5)
    assert table[0]["kits"] == 3
    assert table[TOTAL]["group.pwud"] == 3


def old_rule(values: list[int], threshold: int = 5) -> list[int | str]:
    """The rule before issue 20: hide 1..4, and one more figure if only one is hidden."""
    hidden = {i for i, v in enumerate(values) if 0 < v < threshold}
    if len(hidden) == 1:
        others = [(v, i) for i, v in enumerate(values) if v > 0 and i not in hidden]
        if others:
            hidden.add(min(others)[1])
    return ["<5" if i in hidden else v for i, v in enumerate(values)]


def old_sheet(figures: dict[int, dict[str, int]], sites: list[int]) -> dict:
    """The naloxone sheet as the old rule showed it: kits and (several sites) totals bare."""
    true = naloxone_table(figures, sites, external=False, threshold=5)
    shown = {}
    for row, cells in true.items():
        bare = row == TOTAL and len(sites) > 1
        blocks = [
            ["kits"],
            [f"group.{g}" for g in GROUPS],
            ["first", "refill"],
            [f"reason.{r}" for r in REASONS],
            ["training_given"],
        ]
        for i, keys in enumerate(blocks):
            figures_ = [cells[k] for k in keys]
            out = figures_ if bare or i == 0 else old_rule(figures_)
            shown.update({(row, k): v for k, v in zip(keys, out, strict=True)})
    return shown


def test_the_old_rule_gave_figures_away_and_mislabelled_others():
    figures = {
        0: {"kits": 9, "group.pwud": 2, "group.relative": 7, "first": 9},
        1: {"kits": 22, "group.pwud": 10, "group.relative": 12, "first": 22},
    }
    sites = [0, 1]
    figures = {s: {k: f.get(k, 0) for k in NALOXONE_KEYS} for s, f in figures.items()}
    true = flat(naloxone_table(figures, sites, external=False, threshold=5))
    old = old_sheet(figures, sites)
    # The 7 was shown as "<5": a false figure.
    assert old[(0, "group.relative")] == "<5"
    assert true[(0, "group.relative")] == 7
    # Even reading the old markers only as "hidden", the total row gives the 2 back exactly.
    found = ranges(old, naloxone_identities(sites), trust_marker=False)
    assert found[(0, "group.pwud")] == (2, 2)
    with pytest.raises(AssertionError):
        assert_protected(old, true, naloxone_identities(sites))
    assert_protected(
        flat(naloxone_table(figures, sites, True, 5)), true, naloxone_identities(sites)
    )


def test_small_figures_the_marker_would_pin_show_the_confidential_symbol_instead():
    # Four 1s under a total of 4: "<5" everywhere would say each is exactly 1.
    values = {"total": 4, "a": 1, "b": 1, "c": 1, "d": 1}
    identities = [Identity("total", ("a", "b", "c", "d"))]
    shown = protect(values, identities, 5)
    assert set(shown.values()) <= {"<5", HIDDEN}
    assert_protected(shown, values, identities)
