"""Every figure traceable: the entries and movements that make up a report's figure.

A distribution figure (sites, period, item category or item) is the sum of what reports count
as handed out: the ledger's distribution and its corrections for entries that move stock,
and the lines of entries dated before their site's stock start (invariant 9). A kit counts as
its contents (as in reports.distribution): a category's figure lists each kit row once per
content item in the category, as `kits` x per kit (`kit` names the kit), and never the kit
itself; only the kit's own item figure lists its kits. Contacts are the entries' contacts.
The rows listed here are exactly those, so they add up to the figure (ledger_check verifies
the aggregates the reports read against the same rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, String, cast, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from tracker import periods
from tracker.errors import Forbidden, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import (
    Item,
    KitContent,
    Municipality,
    NaloxoneHandout,
    Site,
    StockMovement,
    TallyEntry,
    TallyLine,
    User,
)
from tracker.services import catalog, categories
from tracker.services.access import Actor, can, visible_sites
from tracker.services.ledger_check import HANDED_OUT

MEASURES = ("quantity", "contacts")
M = StockMovement
K = KitContent
Kit = aliased(Item, name="kit_item")


@dataclass(frozen=True)
class Figure:
    """What a figure covers: sites, period, category or item, and the measure."""

    site_ids: list[int]
    start: date
    end: date
    category: str | None = None
    item_id: int | None = None
    measure: str = "quantity"


def resolve(
    actor: Actor,
    *,
    date_from: date,
    date_to: date,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    category: str | None = None,
    item: str | None = None,
    measure: str = "quantity",
) -> Figure:
    """Check the filters: staff and leads see their own sites, coordinators their municipality."""
    periods.check_range(date_from, date_to)
    if measure not in MEASURES:
        raise ValidationError(_l("Ukjent mål."), {"measure": [_l("Ukjent mål.")]})
    if category is not None and category not in categories.codes():
        raise ValidationError(_l("Ukjent varekategori."), {"category": [_l("Ukjent.")]})
    codes = list(dict.fromkeys(c for c in sites if c))
    query = select(Site)
    if codes:
        query = query.where(Site.code.in_(codes))
    if municipality:
        place = db.session.scalar(select(Municipality).where(Municipality.number == municipality))
        if place is None:
            raise NotFound(
                _l("Det finnes ingen kommune med nummer %(number)s.", number=municipality),
                {"municipality": [_l("Ukjent kommune.")]},
            )
        query = query.where(Site.municipality_id == place.id)
    if not codes and not municipality:
        query = visible_sites(actor)
    found = list(db.session.scalars(query))
    unknown = sorted(set(codes) - {s.code for s in found})
    if unknown:
        raise NotFound(
            _l("Det finnes ikke noe sted med koden %(code)s.", code=unknown[0]),
            {"site": [_l("Ukjent sted: %(code)s.", code=unknown[0])]},
        )
    refused = [s.code for s in found if not can(actor, s, "staff")]
    if refused:
        raise Forbidden(
            _l(
                "Du kan ikke se kildene for stedet %(site)s; ansatte og stedsledere ser sine "
                "egne steder, koordinatorer sin kommune.",
                site=refused[0],
            )
        )
    item_id = catalog.get_item(item, field="item").id if item else None
    return Figure([s.id for s in found], date_from, date_to, category, item_id, measure)


def _kits() -> Any:
    return select(KitContent.kit_id).scalar_subquery()


def _direct(figure: Figure, column: Any) -> Any:
    """Rows counted as themselves: the item asked for, or (a category, or every item) any
    item but a kit, whose contents count instead."""
    if figure.item_id is not None:
        return column == figure.item_id
    plain = column.not_in(_kits())
    if figure.category is not None:
        in_category = column.in_(select(Item.id).where(Item.category == figure.category))
        return plain & in_category
    return plain


def _held(figure: Figure, column: Any) -> Any:
    """Content items of a kit that count in the figure."""
    if figure.item_id is not None:
        return column == figure.item_id
    if figure.category is not None:
        return column.in_(select(Item.id).where(Item.category == figure.category))
    return literal(True)


def _plain() -> tuple[Any, Any]:
    """The kit and kits columns of a row that is not a kit's content."""
    return cast(null(), String).label("kit"), cast(null(), Integer).label("kits")


def _text(value: str) -> Any:
    return literal(value, String)


def sources_query(figure: Figure) -> Select[Any]:
    """The rows behind the figure, oldest first: source, id, site, date, who, what, quantity."""
    if figure.measure == "contacts":
        t = TallyEntry
        return (
            select(
                _text("entry").label("source"), t.id.label("id"), Site.code.label("site"),
                t.entry_date.label("date"), User.name.label("who"), _text("contacts").label("what"),
                null().label("item"), t.contacts.label("quantity"), t.id.label("entry_id"),
                *_plain(),
            )
            .join(Site, Site.id == t.site_id)
            .join(User, User.id == t.created_by_id)
            .where(
                t.site_id.in_(figure.site_ids), t.entry_date >= figure.start,
                t.entry_date <= figure.end, t.deleted_at.is_(None), t.contacts != 0,
            )
            .order_by(t.entry_date, Site.code, t.id)
        )  # fmt: skip
    t, h = TallyEntry, NaloxoneHandout
    history = func.coalesce(t.before_stock_start, h.before_stock_start, False)

    def moved(kit: bool) -> Select[Any]:
        counted = M.item_id if not kit else K.item_id
        quantity = -M.quantity if not kit else -M.quantity * K.quantity
        extra = _plain() if not kit else (Kit.code, -M.quantity)
        query = select(
            _text("movement").label("source"), M.id.label("id"), Site.code.label("site"),
            M.occurred_on.label("date"), User.name.label("who"), M.kind.label("what"),
            Item.code.label("item"), quantity.label("quantity"),
            func.coalesce(M.tally_id, M.naloxone_handout_id).label("entry_id"), *extra,
        )  # fmt: skip
        if kit:
            query = query.join(K, K.kit_id == M.item_id).join(Kit, Kit.id == K.kit_id)
        return (
            query.join(Site, Site.id == M.site_id)
            .join(Item, Item.id == counted)
            .join(User, User.id == M.recorded_by_id)
            .outerjoin(t, t.id == M.tally_id)
            .outerjoin(h, h.id == M.naloxone_handout_id)
            .where(
                M.site_id.in_(figure.site_ids), M.occurred_on >= figure.start,
                M.occurred_on <= figure.end, HANDED_OUT, history.is_(False),
                _held(figure, counted) if kit else _direct(figure, counted),
            )
        )  # fmt: skip

    def lines(kit: bool) -> Select[Any]:
        L = TallyLine
        counted = L.item_id if not kit else K.item_id
        quantity = L.quantity if not kit else L.quantity * K.quantity
        extra = _plain() if not kit else (Kit.code, L.quantity)
        query = select(
            _text("history_line"), L.id, Site.code, t.entry_date, User.name,
            _text("distribution"), Item.code, quantity, t.id, *extra,
        )  # fmt: skip
        if kit:
            query = query.join(K, K.kit_id == L.item_id).join(Kit, Kit.id == K.kit_id)
        return (
            query.join(t, t.id == L.tally_id)
            .join(Site, Site.id == t.site_id)
            .join(Item, Item.id == counted)
            .join(User, User.id == t.created_by_id)
            .where(
                t.site_id.in_(figure.site_ids), t.entry_date >= figure.start,
                t.entry_date <= figure.end, t.before_stock_start.is_(True),
                t.deleted_at.is_(None),
                _held(figure, counted) if kit else _direct(figure, counted),
            )
        )  # fmt: skip

    handouts = (
        select(
            _text("history_handout").label("source"), h.id, Site.code, h.handed_out_on,
            User.name, _text("distribution"), Item.code, h.quantity, h.id, *_plain(),
        )
        .join(Site, Site.id == h.site_id)
        .join(Item, Item.id == h.item_id)
        .join(User, User.id == h.created_by_id)
        .where(
            h.site_id.in_(figure.site_ids), h.handed_out_on >= figure.start,
            h.handed_out_on <= figure.end, _direct(figure, h.item_id),
            h.before_stock_start.is_(True),
        )
    )  # fmt: skip
    rows = union_all(moved(False), moved(True), lines(False), lines(True), handouts).subquery()
    return select(rows).order_by(rows.c.date, rows.c.site, rows.c.source, rows.c.id, rows.c.item)


def page(query: Select[Any], number: int, size: int) -> list[dict[str, Any]]:
    """One page of the rows, as mappings."""
    rows = db.session.execute(query.limit(size).offset((number - 1) * size)).mappings()
    return [dict(row) for row in rows]


def count(query: Select[Any]) -> int:
    rows = query.order_by(None).subquery()
    return int(db.session.scalar(select(func.count()).select_from(rows)) or 0)


def total(query: Select[Any]) -> int:
    """The sum of the listed quantities: the figure itself."""
    rows = query.order_by(None).subquery()
    return int(db.session.scalar(select(func.coalesce(func.sum(rows.c.quantity), 0))) or 0)


def sources(
    actor: Actor,
    *,
    date_from: date,
    date_to: date,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    category: str | None = None,
    item: str | None = None,
    measure: str = "quantity",
) -> Select[Any]:
    """GET /reports/sources and its page: the figure's rows, for the caller to paginate."""
    figure = resolve(
        actor,
        date_from=date_from,
        date_to=date_to,
        sites=sites,
        municipality=municipality,
        category=category,
        item=item,
        measure=measure,
    )
    return sources_query(figure)
