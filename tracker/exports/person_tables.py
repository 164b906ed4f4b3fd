"""The person-level tables of the workbook as cells and identities, protected for external use.

Naloxone: per site and over sites, kits = sum of groups = first + refill, refill = sum of
reasons, and each column's total row is the sum over sites. Training: per site and type,
participants = sum of audiences, and each type's total row is the sum over sites.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from tracker.exports.suppression import Identity, protect
from tracker.models.distribution import RECIPIENT_GROUPS as GROUPS
from tracker.models.distribution import REFILL_REASONS as REASONS
from tracker.models.training import AUDIENCES

TOTAL = "total"
NALOXONE_KEYS = (
    "kits",
    *[f"group.{g}" for g in GROUPS],
    "first",
    "refill",
    *[f"reason.{r}" for r in REASONS],
    "training_given",  # handouts with training given (people, not kits)
)
TRAINING_KEYS = (*AUDIENCES, "participants")


def naloxone_identities(rows: Sequence[Hashable]) -> list[Identity[Any]]:
    """Each row's identities, and each column's total over the rows (the sites)."""
    identities: list[Identity[Any]] = []
    for row in [*rows, TOTAL]:
        identities += [
            Identity((row, "kits"), tuple((row, f"group.{g}") for g in GROUPS)),
            Identity((row, "kits"), ((row, "first"), (row, "refill"))),
            Identity((row, "refill"), tuple((row, f"reason.{r}") for r in REASONS)),
        ]
    identities += [Identity((TOTAL, k), tuple((row, k) for row in rows)) for k in NALOXONE_KEYS]
    return identities


def naloxone_table(
    figures: Mapping[Any, Mapping[str, int]], sites: Sequence[Any], external: bool, threshold: int
) -> dict[Any, dict[str, Any]]:
    """Site id (and TOTAL) -> key -> what the cell shows."""
    values: dict[Any, int] = {}
    for site in sites:
        for key in NALOXONE_KEYS:
            values[(site, key)] = figures.get(site, {}).get(key, 0)
    for key in NALOXONE_KEYS:
        values[(TOTAL, key)] = sum(values[(site, key)] for site in sites)
    shown: Mapping[Any, Any] = (
        protect(values, naloxone_identities(sites), threshold) if external else values
    )
    return _by_row(shown)


def training_identities(rows: Sequence[Hashable], kinds: Sequence[str]) -> list[Identity[Any]]:
    """Per site and type, participants = sum of audiences; per type, totals over the sites."""
    identities: list[Identity[Any]] = []
    for kind in kinds:
        for row in [*rows, TOTAL]:
            cells = tuple(((row, kind), a) for a in AUDIENCES)
            identities.append(Identity(((row, kind), "participants"), cells))
        for key in TRAINING_KEYS:
            identities.append(Identity(((TOTAL, kind), key), tuple(((r, kind), key) for r in rows)))
    return identities


def training_table(
    figures: Mapping[tuple[Any, str], Mapping[str, int]],
    sites: Sequence[Any],
    kinds: Sequence[str],
    external: bool,
    threshold: int,
) -> dict[Any, dict[str, Any]]:
    """(site id or TOTAL, type) -> audience or "participants" -> what the cell shows."""
    values: dict[Any, int] = {}
    for kind in kinds:
        for site in sites:
            row = figures.get((site, kind), {})
            audience = [row.get(a, 0) for a in AUDIENCES]
            values.update({((site, kind), a): n for a, n in zip(AUDIENCES, audience, strict=True)})
            values[((site, kind), "participants")] = sum(audience)
        for key in TRAINING_KEYS:
            values[((TOTAL, kind), key)] = sum(values[((s, kind), key)] for s in sites)
    shown: Mapping[Any, Any] = (
        protect(values, training_identities(sites, kinds), threshold) if external else values
    )
    return _by_row(shown)


def _by_row(cells: Mapping[Any, Any]) -> dict[Any, dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    for (row, key), value in cells.items():
        rows.setdefault(row, {})[key] = value
    return rows
