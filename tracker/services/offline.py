"""What a phone keeps for entering without a network (issue 25): the user's sites, items, lots.

Read-only: the queue the phone fills is sent later to the ordinary endpoints (tallies,
naloxone handouts), with the same validation and idempotency as any other client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tracker.extensions import db
from tracker.models import Item, Lot, Site
from tracker.services import catalog, naloxone, plausibility
from tracker.services.access import Actor, can, visible_sites

MAX_SITES = 200  # an admin sees every site; a phone needs the ones it enters for


@dataclass
class OfflineSite:
    site: Site
    items: list[Item]
    p90: dict[int, int]  # item id -> the site's usual (90th percentile) day, with history
    naloxone_item: Item | None = None
    lots: list[Lot] = field(default_factory=list)


def unusual_above(p90: int | None, floor: int = plausibility.FLOOR) -> int | None:
    """The largest figure taken without asking, by the forms' rule (services.plausibility):
    unusual is at least `floor` and more than FACTOR times the site's usual day. None: no
    usual figure yet (too little history), nothing is asked."""
    if not p90:
        return None
    return max(plausibility.FACTOR * p90, floor - 1)


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
                p90=plausibility.usual_daily(site.id, {i.id for i in items}, today),
                naloxone_item=nal[0] if nal else None,
                lots=[lot for lot, _ in naloxone.site_lots(site.id, nal[0], today)] if nal else [],
            )
        )
    return found
