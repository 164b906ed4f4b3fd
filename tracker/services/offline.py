"""What a phone keeps for entering without a network (issue 25): the user's sites, items, lots.

Read-only: the queue the phone fills is sent later to the ordinary endpoints (tallies,
naloxone handouts), with the same validation and idempotency as any other client.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Item, Lot, Site, TallyEntry, TallyLine
from tracker.services import catalog, naloxone
from tracker.services.access import Actor, can, visible_sites

# The usual figures behind the device's "is this number right?" question: a figure of at
# least FLOOR and more than FACTOR times the site's p90 day is asked about before queuing.
USUAL_DAYS = 56
MIN_DAYS = 7  # with less history nothing is called unusual
FACTOR = 5
FLOOR = 100
MAX_SITES = 200  # an admin sees every site; a phone needs the ones it enters for


@dataclass
class OfflineSite:
    site: Site
    items: list[Item]
    p90: dict[int, int]  # item id -> 90th percentile of the site's daily totals (with history)
    naloxone_item: Item | None = None
    lots: list[Lot] = field(default_factory=list)


def percentile_90(values: list[int]) -> int:
    """The nearest-rank 90th percentile (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # ceil(0.9 n)
    return ordered[rank - 1]


def usual_figures(site_id: int, today: date) -> dict[int, int]:
    """Per item, the p90 of what the site handed out on a day over the last USUAL_DAYS."""
    rows = db.session.execute(
        select(TallyLine.item_id, TallyEntry.entry_date, func.sum(TallyLine.quantity))
        .join(TallyEntry, TallyEntry.id == TallyLine.tally_id)
        .where(
            TallyEntry.site_id == site_id,
            TallyEntry.deleted_at.is_(None),
            TallyEntry.entry_date >= today - timedelta(days=USUAL_DAYS),
            TallyEntry.entry_date < today,
        )
        .group_by(TallyLine.item_id, TallyEntry.entry_date)
    )
    days: dict[int, list[int]] = defaultdict(list)
    for item_id, _day, total in rows:
        if total:  # a day without any says nothing about a busy day
            days[item_id].append(int(total))
    return {
        item_id: percentile_90(values)
        for item_id, values in days.items()
        if len(values) >= MIN_DAYS
    }


def unusual_above(p90: int | None) -> int | None:
    """The largest figure taken without asking (None: nothing is unusual, no history)."""
    if not p90:
        return None
    return max(FACTOR * p90, FLOOR - 1)


def offline_sites(actor: Actor, today: date) -> list[OfflineSite]:
    """The active sites the actor may enter for, with what their forms need."""
    sites = db.session.scalars(
        visible_sites(actor).where(Site.active.is_(True)).limit(MAX_SITES)
    ).all()
    found = []
    for site in sites:
        if not can(actor, site, "staff"):
            continue
        items = catalog.site_items(site.id)
        nal = [i for i in items if i.category == "naloxone"]
        found.append(
            OfflineSite(
                site=site,
                items=[i for i in items if i.category != "naloxone"],
                p90=usual_figures(site.id, today),
                naloxone_item=nal[0] if nal else None,
                lots=[lot for lot, _ in naloxone.site_lots(site.id, nal[0], today)] if nal else [],
            )
        )
    return found
