"""Overdoses, referrals and contacts by group as cells and identities, protected for external use.

Each is about persons, so small figures are protected like naloxone (suppression.protect).
Overdoses per row (site and month): events = sum of places = sum of outcomes. Referrals per
row: total = sum of destinations. Contacts by group have no identity within a row (groups
are not checked against contacts). Every column's total row is the sum over the rows.
Returns are equipment, not persons, and are never suppressed (like item counts).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.exports.suppression import Identity, protect
from tracker.models.events import (
    CONTACT_GROUPS,
    OVERDOSE_OUTCOMES,
    OVERDOSE_PLACES,
    REFERRAL_DESTINATIONS,
)

TOTAL = "total"
Row = tuple[int, date]  # site id, first day of the month
PLACE_KEYS = tuple(f"place.{p}" for p in OVERDOSE_PLACES)
OUTCOME_KEYS = tuple(f"outcome.{o}" for o in OVERDOSE_OUTCOMES)
OVERDOSE_KEYS = (
    "events",
    *PLACE_KEYS,
    "doses",
    "with_naloxone",
    "oxygen",
    "cpr",
    "ambulance",
    *OUTCOME_KEYS,
)
DESTINATION_KEYS = tuple(f"to.{d}" for d in REFERRAL_DESTINATIONS)
REFERRAL_KEYS = ("referred", *DESTINATION_KEYS)
GROUP_KEYS = CONTACT_GROUPS


@dataclass
class EventFigures:
    """Per (site id, month): overdoses and referrals by key; returns by kind with the syringes
    and needles handed out; per site id: contacts by group over the period."""

    overdoses: dict[Row, dict[str, int]] = field(default_factory=dict)
    referrals: dict[Row, dict[str, int]] = field(default_factory=dict)
    returns: dict[Row, dict[str, int]] = field(default_factory=dict)
    groups: dict[int, dict[str, int]] = field(default_factory=dict)


def overdose_identities(rows: Sequence[Hashable]) -> list[Identity[Any]]:
    identities: list[Identity[Any]] = []
    for row in [*rows, TOTAL]:
        identities += [
            Identity((row, "events"), tuple((row, k) for k in PLACE_KEYS)),
            Identity((row, "events"), tuple((row, k) for k in OUTCOME_KEYS)),
        ]
    return identities + _column_totals(rows, OVERDOSE_KEYS)


def referral_identities(rows: Sequence[Hashable]) -> list[Identity[Any]]:
    identities: list[Identity[Any]] = [
        Identity((row, "referred"), tuple((row, k) for k in DESTINATION_KEYS))
        for row in [*rows, TOTAL]
    ]
    return identities + _column_totals(rows, REFERRAL_KEYS)


def group_identities(rows: Sequence[Hashable]) -> list[Identity[Any]]:
    return _column_totals(rows, GROUP_KEYS)


def _column_totals(rows: Sequence[Hashable], keys: Sequence[str]) -> list[Identity[Any]]:
    return [Identity((TOTAL, k), tuple((row, k) for row in rows)) for k in keys]


def table(
    figures: Mapping[Any, Mapping[str, int]],
    rows: Sequence[Hashable],
    keys: Sequence[str],
    identities: list[Identity[Any]],
    external: bool,
    threshold: int,
) -> dict[Any, dict[str, Any]]:
    """Row (and TOTAL) -> key -> what the cell shows; protected when external."""
    values: dict[Any, int] = {}
    for row in rows:
        for key in keys:
            values[(row, key)] = int(figures.get(row, {}).get(key, 0))
    for key in keys:
        values[(TOTAL, key)] = sum(values[(row, key)] for row in rows)
    shown: Mapping[Any, Any] = protect(values, identities, threshold) if external else values
    result: dict[Any, dict[str, Any]] = {}
    for (row, key), value in shown.items():
        result.setdefault(row, {})[key] = value
    return result


def overdose_table(
    figures: Mapping[Any, Mapping[str, int]], rows: Sequence[Hashable], external: bool, t: int
) -> dict[Any, dict[str, Any]]:
    return table(figures, rows, OVERDOSE_KEYS, overdose_identities(rows), external, t)


def referral_table(
    figures: Mapping[Any, Mapping[str, int]], rows: Sequence[Hashable], external: bool, t: int
) -> dict[Any, dict[str, Any]]:
    return table(figures, rows, REFERRAL_KEYS, referral_identities(rows), external, t)


def group_table(
    figures: Mapping[Any, Mapping[str, int]], rows: Sequence[Hashable], external: bool, t: int
) -> dict[Any, dict[str, Any]]:
    return table(figures, rows, GROUP_KEYS, group_identities(rows), external, t)
