"""Unmet demand: items asked for and not given because they were out (issue 24).

Each record adds to the site's usage where stock is planned: days of stock left and the
reorder suggestion count what people asked for, not only what was handed out (a stock-out
would otherwise lower the usage and so the next order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from tracker.dates import check_entry_date, today
from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import Item, Site, UnmetDemand
from tracker.services import audit, backdating, catalog, period_locks, reports
from tracker.services.access import Actor, get_site, require_site, visible_site_ids
from tracker.services.unit import Idempotency, commit, service

MAX_QUANTITY = 10_000
WINDOW_DAYS = 28  # the same four weeks as recent usage (stock.USAGE_DAYS)


@service
def record(
    actor: Actor,
    *,
    site_code: str,
    day: date,
    item_code: str,
    quantity: int,
    made_at: datetime | None = None,
    idem: Idempotency | None = None,
) -> UnmetDemand:
    """Staff note that an item was asked for and not given (it was out).

    Dated like any entry: the backdating window for staff, and never inside a submitted
    period (it counts in the Sammendrag)."""
    site = require_site(actor, get_site(site_code))
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    check_entry_date(day)
    backdating.check(actor, site, [day], made_at)
    period_locks.ensure_open([site.id], [day])
    if isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            _l("Antallet må være fra 1 til %(max)s.", max=MAX_QUANTITY),
            {"quantity": [_l("Utenfor tillatt område.")]},
        )
    item = catalog.get_item(item_code)
    if not item.active or item.id in catalog.off_item_ids(site.id):
        raise ValidationError(
            _l("Stedet deler ikke ut %(item)s.", item=item.code),
            {"item": [_l("Stedet deler ikke ut denne varen.")]},
            code="item-off-at-site",
        )
    row = UnmetDemand(site=site, item=item, day=day, quantity=quantity, created_by_id=actor.user_id)
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor,
        "unmet_demand",
        row.id,
        "create",
        site_id=site.id,
        after={"site": site.code, "date": day.isoformat(), "item": item.code, "quantity": quantity},
    )
    commit(idem, row)
    return row


def records_query(
    actor: Actor,
    *,
    site: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[tuple[UnmetDemand]]:
    """The records at the sites the actor sees, newest first."""
    query = select(UnmetDemand).order_by(UnmetDemand.day.desc(), UnmetDemand.id.desc())
    if site:
        query = query.where(UnmetDemand.site_id == require_site(actor, get_site(site)).id)
    else:
        query = query.where(UnmetDemand.site_id.in_(visible_site_ids(actor)))
    if date_from:
        query = query.where(UnmetDemand.day >= date_from)
    if date_to:
        query = query.where(UnmetDemand.day <= date_to)
    return query


def totals(site_ids: list[int], start: date, end: date) -> dict[tuple[int, int], int]:
    """Quantity asked for and not given per (site, item), from start to end inclusive."""
    if not site_ids:
        return {}
    rows = db.session.execute(
        select(UnmetDemand.site_id, UnmetDemand.item_id, func.sum(UnmetDemand.quantity))
        .where(UnmetDemand.site_id.in_(site_ids), UnmetDemand.day >= start, UnmetDemand.day <= end)
        .group_by(UnmetDemand.site_id, UnmetDemand.item_id)
    )
    return {(s, i): int(q) for s, i, q in rows}


def recent(site_ids: list[int], on: date) -> dict[tuple[int, int], int]:
    """The last four whole weeks before `on` (today excluded, like recent usage)."""
    return totals(site_ids, on - timedelta(days=WINDOW_DAYS), on - timedelta(days=1))


def per_day(site_ids: list[int], on: date) -> dict[tuple[int, int], float]:
    """Unmet demand as an average per day over the usage window, to add to usage."""
    return {key: q / WINDOW_DAYS for key, q in recent(site_ids, on).items()}


def recent_for_site(actor: Actor, site_code: str) -> dict[int, int]:
    """Per item id, what the site was asked for and could not give in the last four weeks."""
    site = require_site(actor, get_site(site_code))
    return {item: q for (_, item), q in recent([site.id], today()).items()}


@dataclass
class Page:
    """The unmet-demand page of a site: the last four weeks' records and the items to pick."""

    site: Site
    records: list[UnmetDemand]
    items: list[Item]
    day: date


def page(actor: Actor, site_code: str) -> Page:
    site = require_site(actor, get_site(site_code))
    on = today()
    query = records_query(actor, site=site.code, date_from=on - timedelta(days=WINDOW_DAYS))
    return Page(site, list(db.session.scalars(query.limit(200))), catalog.site_items(site.id), on)


def report(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
) -> dict[str, Any]:
    """Unmet demand per site and item for a period (leads their sites, coordinators theirs)."""
    scope = reports.resolve_scope(
        actor, date_from=date_from, date_to=date_to, sites=sites, municipality=municipality
    )
    found = totals(scope.site_ids, scope.start, scope.end)
    items = {i.id: i for i in catalog.list_items()} if found else {}
    by_site: dict[int, dict[str, int]] = defaultdict(dict)
    for (site_id, item_id), quantity in found.items():
        by_site[site_id][items[item_id].code] = quantity
    return {
        "date_from": scope.start,
        "date_to": scope.end,
        "sites": [
            {
                "site": s.code,
                "name": s.name,
                "municipality": s.municipality_number,
                "items": dict(sorted(by_site.get(s.id, {}).items())),
                "total": sum(by_site.get(s.id, {}).values()),
            }
            for s in scope.sites
        ],
        "total": sum(found.values()),
    }


def site_totals(site_ids: list[int], start: date, end: date) -> dict[int, int]:
    """Per site, everything asked for and not given in the period (the Sammendrag column)."""
    result: dict[int, int] = defaultdict(int)
    for (site_id, _), quantity in totals(site_ids, start, end).items():
        result[site_id] += quantity
    return dict(result)
