"""Reorder list, days of stock left and expiry warnings, per site or across sites.

An expiring lot the site will not use up in time is suggested for a site that uses the
item faster, with a quantity (`move_quantity`):

    moved = floor(rate there * days to expiry - what it holds of the item expiring no later)
            at most what the sender holds usable above its reorder level, and the lot

Usage is the average daily distribution over the last 28 whole days (today excluded), plus
what was asked for and not given in those days (unmet demand, issue 24). Usable stock
leaves out expired lots (they cannot be handed out).

    available = usable on hand + in transit to the site
    days_left = usable on hand / daily usage            (None without usage or when empty)

A site without delivery days: an item is on the list when available is at or below its
reorder level, and the suggestion fills it up to the target level:

    suggested = max(target_level - available, 0)        when available <= reorder_level

A site with delivery days (services/deliveries.py): an order placed today arrives with the
first delivery at least the lead time away (`next_delivery`) and must last until the
delivery after it (`cover_until`); the reorder level stays as safety stock:

    suggested = max(ceil(planning usage x days until cover_until) + reorder_level
                    - available, 0)                     on the list when suggested > 0

Planning usage is daily usage, times ALERT_NALOXONE_FACTOR (default 1.5) for naloxone while
a drug alert covers the site. Without delivery days, usage is not part of the suggestion,
so during an alert the factor raises the naloxone reorder and target levels instead.

Worked example: Monday, deliveries Tuesday and Friday, lead time 1 day: the order arrives
Tuesday and must last until Friday, 4 days. 280 handed out and 56 asked for in vain in 4
weeks is 12 a day; 12 x 4 = 48, plus reorder level 20, minus 30 usable and 8 in transit:
suggest 30.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.dates import today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import Item, Lot, Site, SiteItem, StockBalance
from tracker.services import alerts, deliveries, stock, transfers, unmet_demand
from tracker.services.access import Actor, can, get_site, require_site, visible_site_ids

WARN_DAYS = (30, 90)


@dataclass
class ReorderLine:
    site: Site
    item: Item
    on_hand: int
    usable: int
    in_transit: int
    reorder_level: int
    target_level: int
    daily_usage: float
    days_left: float | None
    suggested: int
    unmet_recent: int = 0  # asked for and not given in the last 4 weeks
    alert_factor: float = 1.0  # on naloxone usage while a drug alert covers the site
    next_delivery: date | None = None  # when an order placed today arrives
    cover_until: date | None = None  # the delivery after it: what the order must last until
    needs_order: bool | None = None  # set where delivery days decide (suggested > 0)

    @property
    def below_reorder(self) -> bool:
        if self.needs_order is not None:
            return self.needs_order
        return self.reorder_level > 0 and self.usable + self.in_transit <= self.reorder_level

    @property
    def empty(self) -> bool:
        """Nothing usable on hand (or less than nothing): days_left is None, not 0 or negative."""
        return self.usable <= 0


@dataclass
class Suggestion:
    """A suggested transfer of an expiring lot: to a site, how many."""

    site: str
    quantity: int
    will_use: float  # what the site uses before the lot expires, at its recent rate
    holds: int  # what it already holds of the item expiring no later than the lot


def move_quantity(will_use: float, holds: int, spare: int, lot_quantity: int) -> int:
    """How much of an expiring lot to move to a site (never negative):

    floor(rate_there * days_to_expiry - held there expiring no later)
    capped by what the sender can spare above its reorder level, and by the lot.
    """
    wanted = math.floor(will_use - holds)
    return max(0, min(wanted, spare, lot_quantity))


@dataclass
class ExpiringLot:
    site: Site
    item: Item
    lot: Lot
    quantity: int
    days_to_expiry: int
    daily_usage: float
    faster_sites: list[str] = field(default_factory=list)
    moves: list[Suggestion] = field(default_factory=list)  # how much to move where, fastest first

    @property
    def suggestion(self) -> Suggestion | None:
        """The one-click suggestion: the fastest-using site that would take some."""
        return next((m for m in self.moves if m.quantity > 0), None)

    @property
    def expired(self) -> bool:
        return self.days_to_expiry < 0

    @property
    def used_before_expiry(self) -> bool:
        """At today's pace, will the site hand all of it out before it expires?"""
        return not self.expired and self.daily_usage * self.days_to_expiry >= self.quantity

    @property
    def within(self) -> int:
        """The warning band: 0 expired, 30 or 90 days."""
        if self.expired:
            return 0
        return next((d for d in WARN_DAYS if self.days_to_expiry <= d), WARN_DAYS[-1])


def _sites(actor: Actor | None, site_code: str | None) -> list[Site]:
    """One site (checked) or every site the actor sees; actor None is the CLI (all sites)."""
    if site_code:
        site = get_site(site_code)
        return [require_site(actor, site) if actor else site]
    query = select(Site).where(Site.active.is_(True)).order_by(Site.code)
    if actor is not None:
        query = query.where(Site.id.in_(visible_site_ids(actor)))
    return list(db.session.scalars(query))


def sites_for(actor: Actor, need: str = "staff") -> list[Site]:
    """The active sites where the actor holds at least `need` (for pickers on the pages)."""
    query = select(Site).where(Site.active.is_(True), Site.id.in_(visible_site_ids(actor)))
    return [s for s in db.session.scalars(query.order_by(Site.code)) if can(actor, s, need)]


def all_active_sites() -> list[Site]:
    """Every active site: a transfer may go to any of them."""
    return list(db.session.scalars(select(Site).where(Site.active.is_(True)).order_by(Site.code)))


def _balances(site_ids: list[int]) -> list[tuple[int, int, int | None, int]]:
    return list(
        db.session.execute(
            select(
                StockBalance.site_id,
                StockBalance.item_id,
                StockBalance.lot_id,
                StockBalance.quantity,
            ).where(StockBalance.site_id.in_(site_ids))
        ).tuples()
    )


def _lots(ids: set[int]) -> dict[int, Lot]:
    if not ids:
        return {}
    return {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(ids)))}


def stock_levels(
    actor: Actor | None, site_code: str | None = None, on: date | None = None
) -> list[ReorderLine]:
    """Per site and item: on hand, usable, in transit, levels, usage, days left, suggestion."""
    on = on or today()
    sites = _sites(actor, site_code)
    ids = [s.id for s in sites]
    if not ids:
        return []
    balances = _balances(ids)
    lots = _lots({lot_id for _, _, lot_id, _ in balances if lot_id})
    on_hand: dict[tuple[int, int], int] = defaultdict(int)
    usable: dict[tuple[int, int], int] = defaultdict(int)
    for site_id, item_id, lot_id, quantity in balances:
        on_hand[(site_id, item_id)] += quantity
        lot = lots.get(lot_id) if lot_id else None
        if lot is None or lot.expiry is None or lot.expiry >= on:
            usable[(site_id, item_id)] += quantity
    usage = stock.usage_per_day(ids, on)
    unmet = unmet_demand.recent(ids, on)
    factors = alerts.naloxone_factors(sites, on)
    plans = deliveries.for_sites(sites, on)
    transit = transfers.in_transit_to(ids)
    levels = {
        (row.site_id, row.item_id): row
        for row in db.session.scalars(select(SiteItem).where(SiteItem.site_id.in_(ids)))
    }
    items = list(db.session.scalars(select(Item).order_by(Item.sort_order, Item.code)))
    lines: list[ReorderLine] = []
    for site in sites:
        window = plans[site.id].order_window(on)
        for item in items:
            key = (site.id, item.id)
            level = levels.get(key)
            unset = level is None or level.reorder_level == level.target_level == 0
            off_here = level is not None and not level.active
            if (not item.active or off_here) and not on_hand.get(key) and unset:
                continue  # retired, or not handed out here, and nothing to show
            rate = usage.get(key, 0.0) + unmet.get(key, 0) / unmet_demand.WINDOW_DAYS
            factor = factors[site.id] if item.category == "naloxone" else 1.0
            line = ReorderLine(
                site=site,
                item=item,
                on_hand=on_hand[key],
                usable=usable[key],
                in_transit=transit.get(key, 0),
                reorder_level=level.reorder_level if level else 0,
                target_level=level.target_level if level else 0,
                daily_usage=round(rate, 3),
                days_left=round(usable[key] / rate, 1) if rate > 0 and usable[key] > 0 else None,
                suggested=0,
                unmet_recent=unmet.get(key, 0),
                alert_factor=factor,
            )
            _suggest(line, rate * factor, window, on)
            lines.append(line)
    return lines


def _suggest(
    line: ReorderLine, planning_rate: float, window: tuple[date, date] | None, on: date
) -> None:
    """Fill in the suggestion: by delivery days when the site has them, else to target."""
    available = line.usable + line.in_transit
    if window is not None:
        line.next_delivery, line.cover_until = window
        need = math.ceil(round(planning_rate * (window[1] - on).days, 6))
        line.suggested = max(need + line.reorder_level - available, 0)
        line.needs_order = line.suggested > 0
        return
    reorder_level = math.ceil(line.reorder_level * line.alert_factor)
    target_level = math.ceil(line.target_level * line.alert_factor)
    below = reorder_level > 0 and available <= reorder_level
    line.suggested = max(target_level - available, 0) if below else 0
    if line.alert_factor != 1.0:
        line.needs_order = below


def reorder_list(
    actor: Actor | None, site_code: str | None = None, on: date | None = None
) -> list[ReorderLine]:
    """What to order: lines at or below their reorder level, with the quantity to target."""
    return [line for line in stock_levels(actor, site_code, on) if line.below_reorder]


def expiring(
    actor: Actor | None,
    site_code: str | None = None,
    days: int = 90,
    on: date | None = None,
) -> list[ExpiringLot]:
    """Lots in stock expiring within `days` (expired ones too), soonest first.

    For lots the site will not use up in time, `faster_sites` names the other sites the
    actor sees that use the item faster: candidates to transfer it to.
    """
    if not 1 <= days <= 3650:
        raise ValidationError(
            _l("Dager må være fra 1 til 3650."), {"days": [_l("Utenfor tillatt område.")]}
        )
    on = on or today()
    sites = _sites(actor, site_code)
    ids = [s.id for s in sites]
    if not ids:
        return []
    by_id = {s.id: s for s in sites}
    rows = db.session.execute(
        select(StockBalance.site_id, StockBalance.item_id, StockBalance.quantity, Lot)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(
            StockBalance.site_id.in_(ids),
            StockBalance.quantity > 0,
            Lot.expiry.is_not(None),
            Lot.expiry <= on + timedelta(days=days),
        )
        .order_by(Lot.expiry, StockBalance.site_id, Lot.id)
    ).all()
    if not rows:
        return []
    everywhere = _sites(actor, None)
    usage = stock.usage_per_day([s.id for s in everywhere], on)
    items = {i.id: i for i in db.session.scalars(select(Item))}
    held = _held_by_expiry([s.id for s in everywhere], {item_id for _, item_id, _, _ in rows}, on)
    spare = _spare(ids, on)
    codes = {s.id: s.code for s in everywhere}
    found: list[ExpiringLot] = []
    for site_id, item_id, quantity, lot in rows:
        rate = usage.get((site_id, item_id), 0.0)
        entry = ExpiringLot(
            site=by_id[site_id],
            item=items[item_id],
            lot=lot,
            quantity=quantity,
            days_to_expiry=(lot.expiry - on).days,
            daily_usage=round(rate, 3),
        )
        if not entry.expired and not entry.used_before_expiry:
            faster = sorted(
                (
                    (usage.get((other.id, item_id), 0.0), other.code)
                    for other in everywhere
                    if other.id != site_id and usage.get((other.id, item_id), 0.0) > rate
                ),
                reverse=True,
            )
            entry.faster_sites = [code for _, code in faster]
            by_code = {code: site_id for site_id, code in codes.items()}
            for rate_there, code in faster:
                will_use = rate_there * entry.days_to_expiry
                holds = sum(
                    q
                    for expiry, q in held.get((by_code[code], item_id), [])
                    if expiry <= lot.expiry
                )
                quantity = move_quantity(
                    will_use, holds, spare.get((site_id, item_id), 0), entry.quantity
                )
                entry.moves.append(Suggestion(code, quantity, round(will_use, 1), holds))
        found.append(entry)
    return found


def _held_by_expiry(
    site_ids: list[int], item_ids: set[int], on: date
) -> dict[tuple[int, int], list[tuple[date, int]]]:
    """Per (site, item): the unexpired lots with stock there, as (expiry, on hand)."""
    rows = db.session.execute(
        select(StockBalance.site_id, StockBalance.item_id, Lot.expiry, StockBalance.quantity)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(
            StockBalance.site_id.in_(site_ids),
            StockBalance.item_id.in_(item_ids),
            StockBalance.quantity > 0,
            Lot.expiry.is_not(None),
            Lot.expiry >= on,
        )
    )
    held: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    for site_id, item_id, expiry, quantity in rows:
        held[(site_id, item_id)].append((expiry, quantity))
    return held


def _spare(site_ids: list[int], on: date) -> dict[tuple[int, int], int]:
    """Per (site, item): usable on hand above the site's reorder level (what it can send)."""
    balances = _balances(site_ids)
    lots = _lots({lot_id for _, _, lot_id, _ in balances if lot_id})
    usable: dict[tuple[int, int], int] = defaultdict(int)
    for site_id, item_id, lot_id, quantity in balances:
        lot = lots.get(lot_id) if lot_id else None
        if lot is None or lot.expiry is None or lot.expiry >= on:
            usable[(site_id, item_id)] += quantity
    levels = {
        (row.site_id, row.item_id): row.reorder_level
        for row in db.session.scalars(select(SiteItem).where(SiteItem.site_id.in_(site_ids)))
    }
    return {key: max(0, q - levels.get(key, 0)) for key, q in usable.items()}


@dataclass
class Overview:
    levels: list[ReorderLine]
    expiring: list[ExpiringLot]

    @property
    def to_order(self) -> list[ReorderLine]:
        return [line for line in self.levels if line.below_reorder]


def overview(actor: Actor, site_code: str | None = None) -> Overview:
    """What the reorder page shows: every level line and lots expiring within 90 days."""
    return Overview(stock_levels(actor, site_code), expiring(actor, site_code, WARN_DAYS[-1]))


def reorder_workbook(actor: Actor, site_code: str | None = None, lang: str = "nb") -> bytes:
    """The reorder list (one site or all the actor sees) as an xlsx workbook."""
    from tracker.exports import reorder as export

    rows = [
        [
            line.site.code,
            line.item.code,
            line.item.name_nb if lang == "nb" else line.item.name_en,
            line.usable,
            line.in_transit,
            line.reorder_level,
            line.target_level,
            line.daily_usage,
            line.days_left,
            line.suggested,
        ]
        for line in reorder_list(actor, site_code)
    ]
    return export.build(rows, today(), lang)
