"""A second look at unlikely numbers: a daily figure far above the site's usual one.

A typo of 50 000 syringes once saved at once and drove stock to -46 215. A quantity on the
daily or naloxone form that is at least FLOOR and more than FACTOR times the site's
90th-percentile daily figure for the item over the last WEEKS weeks is *unusual*: the forms
ask once to confirm it and save nothing until then; the API takes it as given. Either way a
saved unusual figure opens an `unusual_quantity` discrepancy for the lead, as a negative
balance does. Imports (monthly figures) keep their own checks and are not compared here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.dates import today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import Discrepancy, DistributionDaily, Item
from tracker.models.base import utcnow

FACTOR = 5
FLOOR = 100
# Naloxone kits go one or two at a time and a handout is at most 50 (naloxone.MAX_KITS), so a
# floor of 100 would never ask: 10 kits where a busy day is 2 is the same kind of typo.
NALOXONE_FLOOR = 10
WEEKS = 8
PERCENTILE = 90
# A usual figure needs some history: with fewer days of an item in the window (a new site, a
# new item) nothing is called unusual, rather than asking about every first large delivery.
MIN_DAYS = 7
KIND = "unusual_quantity"


class UnusualQuantity(ValidationError):
    """A figure far above the site's usual one: the form asks to confirm it (web only)."""

    title, slug = _l("Uvanlig høyt antall"), "unusual-quantity"


@dataclass(frozen=True)
class Unusual:
    item: Item
    quantity: int
    usual: int  # the site's 90th-percentile daily figure for the item


def percentile(values: list[int], share: int = PERCENTILE) -> int:
    """The nearest-rank percentile (0 for no values): a figure that was actually entered."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def usual_daily(site_id: int, item_ids: Iterable[int], before: date) -> dict[int, int]:
    """Per item with MIN_DAYS or more of history, the 90th percentile of the site's daily
    figures in the WEEKS weeks before `before` (days it handed out none are not counted: they
    say nothing about a busy day)."""
    rows = db.session.execute(
        select(DistributionDaily.item_id, DistributionDaily.quantity).where(
            DistributionDaily.site_id == site_id,
            DistributionDaily.item_id.in_(list(item_ids)),
            DistributionDaily.day >= before - timedelta(weeks=WEEKS),
            DistributionDaily.day < before,
            DistributionDaily.quantity > 0,
        )
    )
    days: dict[int, list[int]] = defaultdict(list)
    for item_id, quantity in rows:
        days[item_id].append(quantity)
    return {
        item_id: percentile(values) for item_id, values in days.items() if len(values) >= MIN_DAYS
    }


def find_unusual(
    site_id: int, on: date, quantities: Iterable[tuple[Item, int]], floor: int = FLOOR
) -> list[Unusual]:
    """The quantities that are unusual for the site; one query, and none when all are small."""
    candidates = [(item, quantity) for item, quantity in quantities if quantity >= floor]
    if not candidates:
        return []
    usual = usual_daily(site_id, {item.id for item, _ in candidates}, on)
    return [
        Unusual(item, quantity, usual[item.id])
        for item, quantity in candidates
        if item.id in usual and quantity > FACTOR * usual[item.id]
    ]


def refuse_unconfirmed(found: list[Unusual], field_of: dict[int, str]) -> None:
    """Raise UnusualQuantity naming each unusual figure at its field (item id -> field path)."""
    if not found:
        return
    errors: dict[str, object] = {}
    for one in found:
        errors[field_of[one.item.id]] = [
            _l(
                "%(quantity)s er mye mer enn vanlig (en travel dag: %(usual)s). "
                "Stemmer tallet? Lagre igjen for å bekrefte.",
                quantity=_grouped(one.quantity),
                usual=_grouped(one.usual),
            )
        ]
    raise UnusualQuantity(
        _l("Et antall er mye høyere enn vanlig for stedet. Sjekk tallet og lagre igjen."),
        _nest(errors),
        code="unusual-quantity",
    )


def _grouped(value: int) -> str:
    """1 234 with a no-break space, as numbers read on the forms."""
    return format(value, ",").replace(",", "\u00a0")


def _nest(flat: dict[str, object]) -> dict[str, object]:
    """{"lines.0.quantity": m} -> {"lines": {"0": {"quantity": m}}}, as the schemas nest them."""
    nested: dict[str, object] = {}
    for path, messages in flat.items():
        node = nested
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = messages
    return nested


def flag(found: list[Unusual], site_id: int) -> None:
    """Open an unusual-quantity discrepancy per saved unusual figure, for the lead."""
    now, on = utcnow(), today()
    for one in found:
        db.session.add(
            Discrepancy(
                site_id=site_id,
                item_id=one.item.id,
                kind=KIND,
                quantity=one.quantity,
                detected_on=on,
                detected_at=now,
            )
        )
