"""Small-number suppression of person-level figures in workbooks for external use.

A table is a set of cells and linear identities (each a total cell and the cells that add up
to it). A primary cell (1 to threshold - 1) shows the marker `<5`; complementary cells are
hidden as `:` (Statistics Norway's confidential symbol) wherever a hidden value could
otherwise be worked back out from the visible figures and the identities.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

HIDDEN = ":"

K = TypeVar("K", bound=Hashable)


def marker(threshold: int) -> str:
    return f"<{threshold}"


@dataclass(frozen=True)
class Identity(Generic[K]):
    """`total` equals the sum of `parts`."""

    total: K
    parts: tuple[K, ...]


def protect(
    values: Mapping[K, int], identities: Sequence[Identity[K]], threshold: int
) -> dict[K, int | str]:
    """What each cell shows: its value, the marker for 1..threshold-1, or `:`.

    Until stable: every identity gets no hidden cell, or at least two of which one is `:`
    (unbounded above); then the identities are audited (`_exposed`) and a hidden cell that
    comes out pinned takes the smallest non-zero visible cell near it along, a part before a
    total; zeros stay visible. A small figure with nothing left to hide near it shows `:`
    instead of the marker, whose bounds would give it away. `:` never claims a value.
    """
    primary = {k for k, v in values.items() if 0 < v < threshold}
    hidden = set(primary)
    marked = set(primary)  # shown as the marker: the reader knows they are 1..threshold-1
    while True:
        _pairs(values, identities, marked, hidden)
        added: set[K] = set()
        for keys in _exposed(values, identities, marked, hidden, threshold):
            extra = _neighbour(values, identities, keys, hidden)
            if extra is not None:
                added.add(extra)
            else:
                # Nothing left to hide beside it: the bounds the marker gives away pin it,
                # so it shows `:` (no bounds) instead; never a false figure.
                added.update(k for k in keys if k in marked)
                marked.difference_update(keys)
        if not added:
            break
        hidden |= added
    return {
        k: (marker(threshold) if k in marked else HIDDEN) if k in hidden else v
        for k, v in values.items()
    }


def _pairs(
    values: Mapping[K, int], identities: Sequence[Identity[K]], primary: set[K], hidden: set[K]
) -> None:
    """Hide cells until each identity has no hidden cell or two, one of them complementary."""
    changed = True
    while changed:
        changed = False
        for identity in identities:
            among = [k for k in (*identity.parts, identity.total) if k in hidden]
            if not among or (len(among) > 1 and not primary.issuperset(among)):
                continue
            extra = _complement(values, identity, hidden)
            if extra is not None:
                hidden.add(extra)
                changed = True


def _exposed(
    values: Mapping[K, int],
    identities: Sequence[Identity[K]],
    primary: set[K],
    hidden: set[K],
    threshold: int,
) -> list[list[K]]:
    """Groups of hidden cells that the identities pin to one value, alone or with the bounds.

    The identities over the hidden cells are reduced to row echelon form (exact fractions,
    `:` cells eliminated first, so the rows left relate marked cells alone); then each cell's
    bounds (marked 1..threshold-1, `:` >= 0) are tightened through the identities and those
    rows until stable. An LP would be exact; this is fast, pure and caught every case the
    tests' LP attacker found on generated tables.
    """
    pivots: dict[K, tuple[dict[K, Fraction], Fraction]] = {}
    equations = _equations(values, identities, hidden)
    for original, rhs in equations:
        row = dict(original)
        for key in [k for k in row if k in pivots]:
            if key in row:
                pivot_row, pivot_rhs = pivots[key]
                factor = row[key]
                for k, c in pivot_row.items():
                    row[k] = row.get(k, Fraction(0)) - factor * c
                    if not row[k]:
                        del row[k]
                rhs -= factor * pivot_rhs
        if not row:
            continue
        lead = next((k for k in row if k not in primary), next(iter(row)))  # `:` cells first
        scale = row[lead]
        row = {k: c / scale for k, c in row.items()}
        rhs /= scale
        for other, (other_row, other_rhs) in list(pivots.items()):
            if lead in other_row:
                factor = other_row[lead]
                merged = dict(other_row)
                for k, c in row.items():
                    merged[k] = merged.get(k, Fraction(0)) - factor * c
                    if not merged[k]:
                        del merged[k]
                pivots[other] = (merged, other_rhs - factor * rhs)
        pivots[lead] = (row, rhs)
    return [[k] for k in _pinned([*equations, *pivots.values()], primary, hidden, threshold)]


def _equations(
    values: Mapping[K, int], identities: Sequence[Identity[K]], hidden: set[K]
) -> list[tuple[dict[K, Fraction], Fraction]]:
    """Each identity over the hidden cells: coefficients and the right-hand side."""
    equations = []
    for identity in identities:
        row: dict[K, Fraction] = {}
        rhs = Fraction(0)
        for key, sign in ((identity.total, -1), *((p, 1) for p in identity.parts)):
            if key in hidden:
                row[key] = row.get(key, Fraction(0)) + sign
            else:
                rhs -= sign * values[key]
        row = {k: c for k, c in row.items() if c}
        if row:
            equations.append((row, rhs))
    return equations


def _pinned(
    equations: list[tuple[dict[K, Fraction], Fraction]],
    primary: set[K],
    hidden: set[K],
    threshold: int,
) -> list[K]:
    """Hidden cells whose bounds, tightened through the equations until stable, meet."""
    low: dict[K, Fraction] = {k: Fraction(1 if k in primary else 0) for k in hidden}
    high: dict[K, Fraction | None] = {
        k: Fraction(threshold - 1) if k in primary else None for k in hidden
    }
    for _ in range(100):
        changed = False
        for row, rhs in equations:
            for key, c in row.items():
                rest_low, rest_high = _span({k: v for k, v in row.items() if k != key}, low, high)
                # c * key = rhs - rest, rest in [rest_low, rest_high]
                ends = [
                    None if rest is None else (rhs - rest) / c for rest in (rest_high, rest_low)
                ]
                lo, hi = (ends[0], ends[1]) if c > 0 else (ends[1], ends[0])
                if lo is not None and lo > low[key]:
                    low[key], changed = lo, True
                bound = high[key]
                if hi is not None and (bound is None or hi < bound):
                    high[key], changed = hi, True
        if not changed:
            break
    return [k for k in hidden if high[k] is not None and high[k] - low[k] < 1]


def _span(
    row: Mapping[K, Fraction], low: Mapping[K, Fraction], high: Mapping[K, Fraction | None]
) -> tuple[Fraction | None, Fraction | None]:
    """The least and the most a sum of cells can be (None: unbounded)."""
    least: Fraction | None = Fraction(0)
    most: Fraction | None = Fraction(0)
    for key, c in row.items():
        top = high[key]
        down, up = (low[key], top) if c > 0 else (top, low[key])
        least = None if least is None or down is None else least + c * down
        most = None if most is None or up is None else most + c * up
    return least, most


def _neighbour(
    values: Mapping[K, int], identities: Sequence[Identity[K]], keys: list[K], hidden: set[K]
) -> K | None:
    """The smallest non-zero visible cell sharing an identity with `keys`, else one further out
    through the hidden cells of those identities (a part before a total)."""
    near, seen = set(keys), set(keys)
    while near:
        touching = [i for i in identities if near & {i.total, *i.parts}]
        found = [e for i in touching if (e := _complement(values, i, hidden)) is not None]
        if found:
            return min(found, key=lambda k: values[k])
        near = {k for i in touching for k in (i.total, *i.parts) if k in hidden} - seen
        seen |= near
    return None


def _complement(values: Mapping[K, int], identity: Identity[K], hidden: set[K]) -> K | None:
    """The smallest non-zero visible part of the identity, else its total if non-zero."""
    parts = [(values[k], i, k) for i, k in enumerate(identity.parts) if k not in hidden]
    parts = [p for p in parts if p[0] > 0]
    if parts:
        return min(parts)[2]
    if identity.total not in hidden and values[identity.total] > 0:
        return identity.total
    return None
