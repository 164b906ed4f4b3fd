"""The catalogue of items and their per-site reorder and target levels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import (
    DistributionDaily,
    DistributionMonthly,
    Item,
    KitContent,
    Lot,
    NaloxoneHandout,
    Site,
    SiteItem,
    StockMovement,
    TallyLine,
)
from tracker.models.catalog import REPORTING_CATEGORIES
from tracker.services import audit
from tracker.services.access import Actor, get_site, require_role, require_site
from tracker.services.categories import check_category
from tracker.services.unit import Idempotency, commit, insert_on_conflict, locked, service

EDITABLE = ("name_nb", "name_en", "category", "unit", "tracks_lots", "active", "sort_order")


def snapshot(item: Item) -> dict[str, Any]:
    return {"code": item.code, **{name: getattr(item, name) for name in EDITABLE}}


def get_item(code: str, field: str = "item", *, lock: bool = False) -> Item:
    """The item with this code; lock=True to change it (locked and read fresh)."""
    query = select(Item).where(Item.code == code)
    item = db.session.scalar(locked(query) if lock else query)
    if item is None:
        raise NotFound(
            _l("Det finnes ingen vare med koden %(code)s.", code=code),
            {field: [_l("Ukjent vare.")]},
        )
    return item


def items_by_code(codes: list[str]) -> dict[str, Item]:
    """The items with these codes in one query; unknown codes are simply absent."""
    if not codes:
        return {}
    return {i.code: i for i in db.session.scalars(select(Item).where(Item.code.in_(codes)))}


def list_items(*, category: str | None = None, active: bool | None = None) -> list[Item]:
    query = select(Item).order_by(Item.sort_order, Item.code)
    query = query.options(selectinload(Item.contents).selectinload(KitContent.item))
    if category:
        query = query.where(Item.category == category)
    if active is not None:
        query = query.where(Item.active.is_(active))
    return list(db.session.scalars(query))


@service
def create_item(
    actor: Actor,
    *,
    code: str,
    name_nb: str,
    name_en: str,
    category: str,
    unit: str = "stk",
    tracks_lots: bool = False,
    sort_order: int = 0,
    idem: Idempotency | None = None,
) -> Item:
    """Add an item to the national catalogue (admins only: invariant 11)."""
    require_role(actor, "admin")
    check_category(category)
    if db.session.scalar(select(Item.id).where(Item.code == code)) is not None:
        raise Conflict(
            _l("Det finnes allerede en vare med koden %(code)s.", code=code),
            {"code": [_l("Allerede i bruk.")]},
        )
    item = Item(
        code=code,
        name_nb=name_nb,
        name_en=name_en,
        category=category,
        unit=unit,
        tracks_lots=tracks_lots or category == "naloxone",
        active=True,
        sort_order=sort_order,
    )
    db.session.add(item)
    db.session.flush()
    _off_at_every_site(item)
    audit.record(actor, "item", item.id, "create", after=snapshot(item))
    commit(idem, item)
    return item


def has_history(item: Item) -> bool:
    """Whether anything was recorded of the item, or of a kit that holds it (its contents
    count in the reports): movements, entries, handouts, imports."""
    tables = (StockMovement, TallyLine, NaloxoneHandout, DistributionDaily, DistributionMonthly)
    kits = select(KitContent.kit_id).where(KitContent.item_id == item.id)
    used = or_(
        *(
            exists().where(or_(table.item_id == item.id, table.item_id.in_(kits)))
            for table in tables
        )
    )
    return bool(db.session.scalar(select(used)))


@service
def update_item(actor: Actor, code: str, changes: dict[str, Any]) -> Item:
    """Change or retire an item of the national catalogue (admins only: invariant 11)."""
    require_role(actor, "admin")
    item = get_item(code, lock=True)
    before = snapshot(item)
    if "category" in changes:
        check_category(changes["category"])
        if changes["category"] != item.category and has_history(item):
            raise Conflict(
                _l(
                    "Varen %(code)s har registrerte bevegelser, så kategorien kan ikke endres "
                    "(rapportert historikk ville flytte seg); ta den ut av bruk og legg til en "
                    "ny vare.",
                    code=code,
                ),
                {"category": [_l("Har bevegelser: ta varen ut av bruk og legg til en ny.")]},
                code="category-locked",
            )
    for name in EDITABLE:
        if name in changes:
            setattr(item, name, changes[name])
    if item.category == "naloxone" and item.is_kit:
        raise ValidationError(
            _l("Nalokson kan ikke være en brukerpakke."), {"category": [_l("Nalokson.")]}
        )
    if item.category == "naloxone" and not item.tracks_lots:
        raise ValidationError(
            _l("Nalokson må føres med parti."), {"tracks_lots": [_l("Må fylles ut.")]}
        )
    audit.record(actor, "item", item.id, "update", before=before, after=snapshot(item))
    commit()
    return item


def levels_for(site_id: int) -> dict[int, SiteItem]:
    return {
        row.item_id: row
        for row in db.session.scalars(select(SiteItem).where(SiteItem.site_id == site_id))
    }


@service
def set_levels(
    actor: Actor, site_code: str, item_code: str, *, reorder_level: int, target_level: int
) -> SiteItem:
    site = require_site(actor, get_site(site_code), "lead")
    row = _set_levels(actor, site, get_item(item_code), reorder_level, target_level)
    commit()
    return row


@service
def set_site_levels(actor: Actor, site_code: str, levels: dict[str, tuple[int, int]]) -> int:
    """Set several items' (reorder, target) levels at a site at once (site lead); an item
    whose levels are unchanged is left alone. Returns how many changed."""
    site = require_site(actor, get_site(site_code), "lead")
    current = levels_for(site.id)
    found = items_by_code(list(levels))
    changed = 0
    for code, (reorder_level, target_level) in levels.items():
        item = found.get(code)
        if item is None:
            raise NotFound(
                _l("Det finnes ingen vare med koden %(code)s.", code=code),
                {code: [_l("Ukjent vare.")]},
            )
        row = current.get(item.id)
        if row is None and reorder_level == target_level == 0:
            continue
        if row is not None and (row.reorder_level, row.target_level) == (
            reorder_level,
            target_level,
        ):
            continue
        _set_levels(actor, site, item, reorder_level, target_level, field=code)
        changed += 1
    commit()
    return changed


def _set_levels(
    actor: Actor,
    site: Site,
    item: Item,
    reorder_level: int,
    target_level: int,
    field: str = "target_level",
) -> SiteItem:
    if target_level < reorder_level:
        raise ValidationError(
            _l("Målnivået for %(item)s må være minst bestillingsnivået.", item=item.code),
            {field: [_l("Under bestillingsnivået.")]},
        )
    key = {"site_id": site.id, "item_id": item.id}
    levels = {"reorder_level": reorder_level, "target_level": target_level}
    # Insert if absent, else lock what is there: two first settings at once do not collide
    # (the second waits for the first and then changes its row).
    insert = insert_on_conflict(SiteItem).values(**key, **levels).on_conflict_do_nothing()
    created = db.session.execute(insert.returning(SiteItem.item_id)).first()
    row: SiteItem = db.session.scalars(locked(select(SiteItem).filter_by(**key))).one()
    before = None
    if created is None:
        before = {"reorder_level": row.reorder_level, "target_level": row.target_level}
    row.reorder_level, row.target_level = reorder_level, target_level
    audit.record(
        actor,
        "site_item",
        f"{site.code}/{item.code}",
        "set_levels",
        site_id=site.id,
        before=before,
        after=levels,
    )
    return row


SITE_ITEM_FIELDS = ("active", "reorder_level", "target_level")


@dataclass
class SiteItemState:
    """One item at one site as the API shows it."""

    site: str
    item: str
    active: bool
    reorder_level: int
    target_level: int


def off_item_ids(site_id: int) -> set[int]:
    """The items a site has turned off (no row, or an active row, means on)."""
    query = select(SiteItem.item_id).where(SiteItem.site_id == site_id, SiteItem.active.is_(False))
    return set(db.session.scalars(query))


def site_items(site_id: int, *, category: str | None = None) -> list[Item]:
    """The active catalogue items the site hands out, in catalogue order."""
    off = off_item_ids(site_id)
    return [i for i in list_items(category=category, active=True) if i.id not in off]


def _off_at_every_site(item: Item) -> None:
    """A new catalogue item is off at every existing site until a lead turns it on."""
    site_ids = list(db.session.scalars(select(Site.id)))
    if site_ids:
        db.session.execute(
            insert_on_conflict(SiteItem).on_conflict_do_nothing(),
            [{"site_id": s, "item_id": item.id, "active": False} for s in site_ids],
        )


def start_site_items(site: Site) -> None:
    """A new site hands out the active items of the five reporting categories; the rest
    of the catalogue gets an explicit off row (a missing row means on)."""
    off = [
        {"site_id": site.id, "item_id": item.id, "active": False}
        for item in db.session.scalars(select(Item))
        if not (item.active and item.category in REPORTING_CATEGORIES)
    ]
    if off:
        db.session.execute(insert_on_conflict(SiteItem).on_conflict_do_nothing(), off)


def _state(site: Site, item: Item, row: SiteItem | None) -> SiteItemState:
    if row is None:
        return SiteItemState(site.code, item.code, True, 0, 0)
    return SiteItemState(site.code, item.code, row.active, row.reorder_level, row.target_level)


def list_site_items(
    actor: Actor | None, site_code: str
) -> tuple[Site, list[tuple[Item, SiteItemState]]]:
    """Every active catalogue item with its state at the site (anyone with access to it;
    actor None is the operator at the command line)."""
    site = get_site(site_code)
    if actor is not None:
        require_site(actor, site)
    rows = levels_for(site.id)
    return site, [(i, _state(site, i, rows.get(i.id))) for i in list_items(active=True)]


def read_site_item(actor: Actor, site_code: str, item_code: str) -> SiteItemState:
    """One item's state at a site (anyone with access to the site)."""
    site = require_site(actor, get_site(site_code))
    item = get_item(item_code)
    return _state(site, item, levels_for(site.id).get(item.id))


@service
def update_site_item(
    actor: Actor, site_code: str, item_code: str, changes: dict[str, Any]
) -> SiteItemState:
    """Turn an item on or off at a site, or change its levels (its lead, the municipality's
    coordinator or an admin); audited, and racing changes apply one after another."""
    site = require_site(actor, get_site(site_code), "lead")
    item = get_item(item_code)
    if not changes:  # nothing asked: answer the state, write nothing
        return _state(site, item, levels_for(site.id).get(item.id))
    key = {"site_id": site.id, "item_id": item.id}
    created = db.session.execute(
        insert_on_conflict(SiteItem)
        .values(**key, active=True, reorder_level=0, target_level=0)
        .on_conflict_do_nothing()
        .returning(SiteItem.item_id)
    ).first()
    row: SiteItem = db.session.scalars(locked(select(SiteItem).filter_by(**key))).one()
    before = {name: getattr(row, name) for name in SITE_ITEM_FIELDS}
    for name in SITE_ITEM_FIELDS:
        if name in changes:
            setattr(row, name, changes[name])
    if row.target_level < row.reorder_level:
        raise ValidationError(
            _l("Målnivået for %(item)s må være minst bestillingsnivået.", item=item.code),
            {"target_level": [_l("Under bestillingsnivået.")]},
        )
    after = {name: getattr(row, name) for name in SITE_ITEM_FIELDS}
    if after != before or created is not None:
        audit.record(
            actor,
            "site_item",
            f"{site.code}/{item.code}",
            "update",
            site_id=site.id,
            before=None if created is not None else before,
            after=after,
        )
    commit()
    return _state(site, item, row)


def find_lot(item: Item, lot_number: str) -> Lot | None:
    return db.session.scalar(
        select(Lot).where(Lot.item_id == item.id, Lot.lot_number == lot_number)
    )
