"""Small-number suppression of person-level figures in workbooks for external use.

A table is a set of cells and linear identities (each a total cell and the cells that add up
to it). A primary cell (1 to threshold - 1) shows the marker `<5`; complementary cells are
hidden as `:` (Statistics Norway's confidential symbol) wherever a hidden value could
otherwise be worked back out from the visible figures and the identities.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
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

    Iterated until stable, every identity has either no hidden cell, or at least two of which
    one is complementary (`:`, unbounded above): then no hidden value follows by subtraction,
    and the primaries' known bounds (1..threshold-1) cannot pin their sum either. The cell added
    is the smallest non-zero visible one, a part before the total; zeros stay visible.
    """
    primary = {k for k, v in values.items() if 0 < v < threshold}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for identity in identities:
            cells = (*identity.parts, identity.total)
            among = [k for k in cells if k in hidden]
            if not among or (len(among) > 1 and not primary.issuperset(among)):
                continue
            extra = _complement(values, identity, hidden)
            if extra is not None:
                hidden.add(extra)
                changed = True
    return {
        k: (marker(threshold) if k in primary else HIDDEN) if k in hidden else v
        for k, v in values.items()
    }


def _complement(values: Mapping[K, int], identity: Identity[K], hidden: set[K]) -> K | None:
    """The smallest non-zero visible part of the identity, else its total if non-zero."""
    parts = [(values[k], i, k) for i, k in enumerate(identity.parts) if k not in hidden]
    parts = [p for p in parts if p[0] > 0]
    if parts:
        return min(parts)[2]
    if identity.total not in hidden and values[identity.total] > 0:
        return identity.total
    return None
