"""Report queries: distribution per site, item category and period bucket, from the aggregates.

Every figure here is read from the daily aggregates (distribution_daily, contacts_daily) that
ledger.post and the tally service keep in the same transaction as each movement, grouped by
period bucket in SQL. So a report costs in proportion to sites x items x days, never to the
number of ledger rows, and it sends the same number of queries for 1 site as for 50.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    bindparam,
    cast,
    extract,
    func,
    select,
    type_coerce,
    union_all,
)

from tracker import dates, periods
from tracker.errors import Forbidden, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    DistributionDaily,
    DistributionMonthly,
    Item,
    KitContent,
    Municipality,
    Site,
)
from tracker.models.auth import ROLE_RANK
from tracker.services import categories as category_service
from tracker.services import completeness
from tracker.services.access import Actor, can, strongest_role, visible_sites
from tracker.services.completeness import Completeness, percent

REPORT_ROLE = "lead"
ORDINAL_JD = 1721424.5  # julianday() of the day before date(1, 1, 1), whose ordinal is 1


@dataclass(frozen=True)
class SiteInfo:
    """A site as the reports show it (plain data: builders never touch the session)."""

    id: int
    code: str
    name: str
    kind: str
    active: bool
    municipality_number: str
    municipality_name: str
    opening_weekdays: str = "12345"  # ISO weekday digits (models/sites.py)

    @property
    def weekdays(self) -> list[int]:
        return [int(d) for d in self.opening_weekdays]


@dataclass(frozen=True)
class ItemInfo:
    id: int
    code: str
    name_nb: str
    name_en: str
    category: str
    unit: str
    active: bool
    kit: bool = False  # a kit's own row shows kits; its contents count in the categories
    holds: tuple[str, ...] = ()  # a kit's contents' categories


@dataclass(frozen=True)
class CategoryInfo:
    """A report column: a category's code and names (plain data, for the builders)."""

    code: str
    name_nb: str
    name_en: str
    fixed: bool


@dataclass(frozen=True)
class Scope:
    """What a report covers: a date range and the sites the actor chose and may see."""

    start: date
    end: date
    sites: list[SiteInfo]
    site_codes: tuple[str, ...] = ()
    municipality: str | None = None

    @property
    def site_ids(self) -> list[int]:
        return [s.id for s in self.sites]

    @property
    def period(self) -> periods.Period:
        return periods.Period(self.start, self.end)


def _site_info(site: Site, municipality: Municipality) -> SiteInfo:
    return SiteInfo(
        site.id,
        site.code,
        site.name,
        site.kind,
        site.active,
        municipality.number,
        municipality.name,
        site.opening_weekdays,
    )


def _sites_with_municipality(where: Any) -> list[tuple[Site, Municipality]]:
    rows = db.session.execute(
        select(Site, Municipality)
        .join(Municipality, Site.municipality_id == Municipality.id)
        .where(where)
        .order_by(Municipality.number, Site.code)
    )
    return [(s, m) for s, m in rows]


def require_reporter(actor: Actor) -> None:
    """Reports and exports are for site leads and coordinators; staff are refused."""
    role = strongest_role(actor.user)
    if role is None or ROLE_RANK[role] < ROLE_RANK[REPORT_ROLE]:
        raise Forbidden(_l("Rapporter og uttrekk krever rollen stedsleder eller koordinator."))


def resolve_scope(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
) -> Scope:
    """Check the range and the filters; leads see their sites, coordinators their municipality."""
    require_reporter(actor)
    if date_from is None or date_to is None:
        missing = [name for name, v in (("from", date_from), ("to", date_to)) if v is None]
        raise ValidationError(
            _l("En rapport trenger både fra- og til-dato (ÅÅÅÅ-MM-DD)."),
            {name: [_l("Må fylles ut.")] for name in missing},
        )
    periods.check_range(date_from, date_to)
    codes = tuple(dict.fromkeys(c.strip() for c in sites if c and c.strip()))
    place = None
    if municipality:
        place = db.session.scalar(select(Municipality).where(Municipality.number == municipality))
        if place is None:
            raise NotFound(
                _l("Det finnes ingen kommune med nummer %(number)s.", number=municipality),
                {"municipality": [_l("Ukjent kommune.")]},
            )
    if codes:
        found = _sites_with_municipality(Site.code.in_(codes))
        unknown = sorted(set(codes) - {s.code for s, _ in found})
        if unknown:
            raise NotFound(
                _l("Det finnes ikke noe sted med koden %(code)s.", code=unknown[0]),
                {"site": [_l("Ukjent sted: %(code)s.", code=unknown[0])]},
            )
        if place is not None:
            outside = [s.code for s, _ in found if s.municipality_id != place.id]
            if outside:
                raise ValidationError(
                    _l(
                        "Stedet %(site)s er ikke i kommune %(number)s.",
                        site=outside[0],
                        number=place.number,
                    ),
                    {"site": [_l("Ikke i den valgte kommunen.")]},
                )
    elif place is not None:
        found = _sites_with_municipality(Site.municipality_id == place.id)
        if not found:
            raise ValidationError(
                _l(
                    "Kommune %(number)s (%(name)s) har ingen steder.",
                    number=place.number,
                    name=place.name,
                ),
                {"municipality": [_l("Har ingen steder.")]},
            )
    else:
        visible = visible_sites(actor).with_only_columns(Site.id).scalar_subquery()
        found = _sites_with_municipality(Site.id.in_(visible))
        found = [(s, m) for s, m in found if can(actor, s, REPORT_ROLE)]
        if not found:
            raise Forbidden(_l("Du er ikke stedsleder eller koordinator for noe sted."))
    if codes or place is not None:
        refused = [s.code for s, _ in found if not can(actor, s, REPORT_ROLE)]
        if refused:
            raise Forbidden(
                _l(
                    "Du kan ikke lage rapport for stedet %(site)s; stedsledere ser sine egne "
                    "steder, koordinatorer sin kommune.",
                    site=refused[0],
                )
            )
    return Scope(
        date_from,
        date_to,
        [_site_info(s, m) for s, m in found],
        codes,
        place.number if place else None,
    )


def items() -> list[ItemInfo]:
    """The whole catalogue in its display order (inactive items show if they have data)."""
    holds: dict[int, set[str]] = defaultdict(set)  # kit id -> its contents' categories
    held = select(KitContent.kit_id, Item.category).join(Item, Item.id == KitContent.item_id)
    for kit_id, category in db.session.execute(held):
        holds[kit_id].add(category)
    return [
        ItemInfo(
            i.id,
            i.code,
            i.name_nb,
            i.name_en,
            i.category,
            i.unit,
            i.active,
            i.id in holds,
            tuple(sorted(holds.get(i.id, ()))),
        )
        for i in db.session.scalars(select(Item).order_by(Item.sort_order, Item.code))
    ]


def category_infos() -> list[CategoryInfo]:
    """Every category in column order: the five reporting ones, those added, then `other`."""
    return [
        CategoryInfo(c.code, c.name_nb, c.name_en, c.fixed)
        for c in category_service.list_categories()
    ]


def bucket_expr(by: str, column: Any) -> Any:
    """SQL for periods.bucket_index(by, column) on SQLite and PostgreSQL."""
    if by == "day":
        return column
    if by == "week":
        ordinal: ColumnElement[int]
        if db.session.get_bind().dialect.name == "sqlite":
            ordinal = cast(func.julianday(column) - ORDINAL_JD, Integer)
        else:
            first = bindparam("ordinal_zero", date(1, 1, 1), type_=Date)
            ordinal = type_coerce(column - first, Integer) + 1
        return (ordinal - 1) // 7
    size = periods.MONTHS[by]
    year = cast(extract("year", column), Integer)
    month = cast(extract("month", column), Integer)
    return year * 12 + ((month - 1) // size) * size


def _core(statement: Any) -> Any:
    """Run a column query on the session's connection: plain rows, no ORM row processing."""
    return db.session.connection().execute(statement)


def _index(by: str, value: Any) -> int:
    """The bucket index as SQL returned it (a date when grouping by day)."""
    if by == "day":
        day: date = date.fromisoformat(value) if isinstance(value, str) else value
        return day.toordinal()
    return int(value)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last whole calendar months within start..end."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    last = after.replace(day=1) - timedelta(days=1)  # the end of the last whole month
    if first > last:
        return None
    return first, last.replace(day=1)


def every_item(column: Any) -> Any:
    """`column IN (every item id)`: true for every row, but it lets a range of days be read
    through the primary key (site, item, day) as one short seek per site and item, in the
    key's order, instead of all of each site's days (SQLite chooses the key by its prefix
    site_id alone to avoid sorting for GROUP BY site, item). 3-9x faster on a full year."""
    return column.in_(select(Item.id).scalar_subquery())


def _summed(table: Any, keys: list[Any], where: list[Any], *, seek: bool = False) -> Any:
    """Quantity per (site, item, *keys) where a kit also counts as its contents: kits x
    quantity under each content item. One UNION ALL joining the aggregate to kit_content,
    so a kit's rows carry the kits and its contents' rows what the kits held.

    The kit half reads only the kits' aggregate rows (`item_id IN kits`: a short seek per
    site and kit, nearly free without kits); seek=True gives the other half every_item's."""
    loose = (
        select(table.site_id, table.item_id, *keys, func.sum(table.quantity))
        .where(*where, *([every_item(table.item_id)] if seek else []))
        .group_by(table.site_id, table.item_id, *keys)
    )
    held = (
        select(
            table.site_id, KitContent.item_id, *keys, func.sum(table.quantity * KitContent.quantity)
        )
        .join(KitContent, KitContent.kit_id == table.item_id)
        .where(*where, table.item_id.in_(select(KitContent.kit_id).scalar_subquery()))
        .group_by(table.site_id, KitContent.item_id, *keys)
    )
    return _core(union_all(loose, held))


def distribution(scope: Scope, by: str) -> dict[tuple[int, int, int], int]:
    """Quantity handed out per (site id, item id, bucket index), in two grouped queries.

    A kit's row holds the kits handed out; each content item's row also holds what those
    kits contained (see _summed), so category totals skip kits and never count twice.

    Whole months come from the monthly aggregate (sites x items x months rows) when the
    buckets are made of months; the days outside whole months, and day and week buckets,
    come from the daily aggregate grouped by bucket in SQL.
    """
    daily = DistributionDaily
    months = whole_months(scope.start, scope.end) if by in periods.MONTHS else None
    result: dict[tuple[int, int, int], int] = defaultdict(int)
    ranges = [(scope.start, scope.end)]
    if by in periods.MONTHS:
        first, last = months or (date.max, date.min)
        monthly = DistributionMonthly
        month_bucket = bucket_expr(by, monthly.month).label("bucket")
        rows = _summed(
            monthly,
            [month_bucket],
            [
                monthly.site_id.in_(scope.site_ids),
                monthly.month >= first,
                monthly.month <= last,
            ],
        )
        for site_id, item_id, index, quantity in rows:
            result[(site_id, item_id, int(index))] += int(quantity)
        if months is not None:
            after_last = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
            # The partial months before and after: two narrow ranges, each an index range.
            ranges = [(scope.start, first - timedelta(days=1)), (after_last, scope.end)]
        else:
            ranges = [(scope.start, scope.end), (date.max, date.min)]
    for low, high in ranges:
        if by in periods.MONTHS and months is not None:
            # An edge lies within one month, so one bucket: group by site and item only
            # (the index order, no sort) and place it in Python.
            rows = _summed(
                daily,
                [],
                [daily.site_id.in_(scope.site_ids), daily.day >= low, daily.day <= high],
                seek=True,
            )
            index = periods.bucket_index(by, low) if low <= high else 0
            for site_id, item_id, quantity in rows:
                result[(site_id, item_id, index)] += int(quantity)
            continue
        bucket = bucket_expr(by, daily.day).label("bucket")
        rows = _summed(
            daily,
            [bucket],
            [daily.site_id.in_(scope.site_ids), daily.day >= low, daily.day <= high],
        )
        for site_id, item_id, value, quantity in rows:
            result[(site_id, item_id, _index(by, value))] += int(quantity)
    return {key: q for key, q in result.items() if q}


def contacts(scope: Scope, by: str) -> dict[tuple[int, int], int]:
    """Contacts per (site id, bucket index)."""
    bucket = bucket_expr(by, ContactsDaily.day).label("bucket")
    rows = _core(
        select(ContactsDaily.site_id, bucket, func.sum(ContactsDaily.contacts))
        .where(
            ContactsDaily.site_id.in_(scope.site_ids),
            ContactsDaily.day >= scope.start,
            ContactsDaily.day <= scope.end,
        )
        .group_by(ContactsDaily.site_id, bucket)
    )
    return {(s, _index(by, b)): int(q) for s, b, q in rows}


Quantity = int | None  # None: not reported (no entry in the bucket, or off the site's list)


def _sum(values: Iterable[Quantity]) -> Quantity:
    """The sum of the reported values; None when none of them was reported."""
    reported = [v for v in values if v is not None]
    return sum(reported) if reported else None


@dataclass
class DistributionReport:
    """Totals per site, item category and bucket; a bucket without an entry is None (blank).

    `cells` and `per_item` hold what was handed out (non-zero only); `reported` says which
    buckets of a site had an entry, and `off` which items a site has turned off: `cell()` and
    `item_value()` combine them into a quantity, a reported 0, or None.
    """

    scope: Scope
    by: str
    buckets: list[periods.Period]
    categories: tuple[str, ...]
    # (site id, category, bucket label) -> quantity
    cells: dict[tuple[int, str, str], int]
    contacts: dict[tuple[int, str], int]
    per_item: dict[tuple[int, int, str], int] = field(default_factory=dict)
    items: list[ItemInfo] = field(default_factory=list)
    reported: dict[int, set[str]] = field(default_factory=dict)  # site id -> bucket labels
    off: dict[int, set[int]] = field(default_factory=dict)  # site id -> item ids turned off
    completeness: dict[int, Completeness] = field(default_factory=dict)
    category_info: list[CategoryInfo] = field(default_factory=list)
    listed: dict[int, set[str]] = field(init=False)  # site id -> categories on its list

    def __post_init__(self) -> None:
        # A kit on the list lists its contents' categories (they count), not its own.
        self.listed = {
            s: {c for i in self.items if self.on_list(s, i) for c in (i.holds or (i.category,))}
            for s in self.scope.site_ids
        }

    def category_names(self, lang: str = "nb") -> dict[str, str]:
        """Category code -> its name in the language (for headings of added categories)."""
        return {c.code: c.name_en if lang == "en" else c.name_nb for c in self.category_info}

    def on_list(self, site_id: int, item: ItemInfo) -> bool:
        return item.active and item.id not in self.off.get(site_id, set())

    def item_value(self, site_id: int, item: ItemInfo, label: str) -> Quantity:
        """Handed out; 0 when the bucket has an entry and the item is on the site's list."""
        quantity = self.per_item.get((site_id, item.id, label))
        if quantity:
            return quantity
        if label in self.reported.get(site_id, ()) and self.on_list(site_id, item):
            return 0
        return None

    def cell(self, site_id: int, category: str, label: str) -> Quantity:
        """A category's quantity; 0 when reported with an item of it on the list, else None."""
        quantity = self.cells.get((site_id, category, label))
        if quantity:
            return quantity
        if label in self.reported.get(site_id, ()) and category in self.listed.get(site_id, ()):
            return 0
        return None

    def contacts_cell(self, site_id: int, label: str) -> Quantity:
        """Contacts; 0 when the bucket has an entry, None (not reported) when it has none."""
        value = self.contacts.get((site_id, label))
        if label in self.reported.get(site_id, ()):
            return value or 0
        return value or None

    def rows(self) -> list[dict[str, Any]]:
        """One row per site, category and bucket (the JSON and CSV shape)."""
        result = []
        for site in self.scope.sites:
            for bucket in self.buckets:
                for category in self.categories:
                    result.append(
                        {
                            "site": site.code,
                            "site_name": site.name,
                            "municipality": site.municipality_number,
                            "category": category,
                            "bucket": bucket.label,
                            "from": bucket.start,
                            "to": bucket.end,
                            "quantity": self.cell(site.id, category, bucket.label),
                        }
                    )
        return result

    def site_json(self, site: SiteInfo, monthly: DistributionReport) -> dict[str, Any]:
        done = self.completeness.get(site.id)
        return {
            "site": site.code,
            "name": site.name,
            "municipality": site.municipality_number,
            "active": site.active,
            "opening_weekdays": site.weekdays,
            "contacts": self.site_contacts(site.id),
            "totals": self.site_totals(site.id),
            "completeness": done.as_json() if done else None,
            "switch": {
                "percent": self.switch_percent(site.id),
                "months": [
                    {"month": b.label, "percent": monthly.switch_percent(site.id, b.label)}
                    for b in monthly.buckets
                ],
            },
        }

    def as_json(self, monthly: DistributionReport | None = None) -> dict[str, Any]:
        """The shape of GET /reports/distribution (`monthly`: the same scope by month)."""
        monthly = monthly or self
        return {
            "date_from": self.scope.start,
            "date_to": self.scope.end,
            "by": self.by,
            "categories": list(self.categories),
            "buckets": self.buckets,
            "sites": [self.site_json(s, monthly) for s in self.scope.sites],
            "totals": self.totals(),
            "switch_percent": self.switch_percent(None),
            "rows": self.rows(),
        }

    def site_totals(self, site_id: int) -> dict[str, Quantity]:
        return {
            c: _sum(self.cell(site_id, c, b.label) for b in self.buckets) for c in self.categories
        }

    def site_contacts(self, site_id: int) -> Quantity:
        return _sum(self.contacts_cell(site_id, b.label) for b in self.buckets)

    def switch_percent(self, site_id: int | None, label: str | None = None) -> float | None:
        """Foil / (syringes + needles) in percent, one decimal, for a site (None: every site)
        and a bucket (None: the whole period); None when nothing injecting was reported."""
        site_ids = [site_id] if site_id is not None else self.scope.site_ids
        labels = [label] if label is not None else [b.label for b in self.buckets]
        foil = _sum(self.cell(s, "foil", x) for s in site_ids for x in labels)
        injecting = _sum(
            self.cell(s, c, x) for s in site_ids for x in labels for c in ("syringe", "needle")
        )
        if foil is None or injecting is None:
            return None
        return percent(foil, injecting)

    def bucket_totals(self) -> list[dict[str, Any]]:
        """Per bucket, the total of each category over all sites (the trend chart's data)."""
        return [
            {
                "bucket": b.label,
                "from": b.start,
                "to": b.end,
                **{
                    c: _sum(self.cell(s, c, b.label) for s in self.scope.site_ids)
                    for c in self.categories
                },
            }
            for b in self.buckets
        ]

    def total_contacts(self) -> Quantity:
        return _sum(self.site_contacts(s) for s in self.scope.site_ids)

    def totals(self) -> dict[str, Quantity]:
        per_site = [self.site_totals(s) for s in self.scope.site_ids]
        return {c: _sum(t[c] for t in per_site) for c in self.categories}


def build_distribution(scope: Scope, by: str = "month") -> DistributionReport:
    """The distribution report for a resolved scope (also what the workbook's sheets use)."""
    if by not in periods.BUCKETS:
        raise ValidationError(
            _l(
                "Ukjent inndeling: %(by)s; bruk en av %(buckets)s.",
                by=by,
                buckets=", ".join(periods.BUCKETS),
            ),
            {"by": [_l("Ukjent inndeling.")]},
        )
    buckets = periods.buckets(scope.start, scope.end, by)
    label_of = {periods.bucket_index(by, b.start): b.label for b in buckets}
    catalogue = items()
    columns = category_infos()
    # A kit's own rows stay out of the categories: its contents are counted instead.
    category_of = {i.id: i.category for i in catalogue if not i.kit}
    cells: dict[tuple[int, str, str], int] = defaultdict(int)
    per_item: dict[tuple[int, int, str], int] = {}
    for (site_id, item_id, index), quantity in distribution(scope, by).items():
        label = label_of[index]
        if item_id in category_of:
            cells[(site_id, category_of[item_id], label)] += quantity
        per_item[(site_id, item_id, label)] = quantity
    people = {(s, label_of[i]): q for (s, i), q in contacts(scope, by).items()}
    entries = completeness.entry_days(scope.site_ids, scope.start, scope.end)
    reported = {
        site_id: {label_of[periods.bucket_index(by, day)] for day, _ in days}
        for site_id, days in entries.items()
    }
    on = dates.today()
    done = {
        s.id: completeness.completeness(
            entries.get(s.id, set()), s.weekdays, scope.start, scope.end, on
        )
        for s in scope.sites
    }
    return DistributionReport(
        scope,
        by,
        buckets,
        tuple(c.code for c in columns),
        dict(cells),
        people,
        per_item,
        catalogue,
        reported,
        completeness.off_items(scope.site_ids),
        done,
        columns,
    )


def reportable_sites(actor: Actor) -> list[SiteInfo]:
    """The sites the actor may report on (as lead or coordinator), in one query."""
    require_reporter(actor)
    visible = visible_sites(actor).with_only_columns(Site.id).scalar_subquery()
    return [
        _site_info(s, m)
        for s, m in _sites_with_municipality(Site.id.in_(visible))
        if can(actor, s, REPORT_ROLE)
    ]


def distribution_report(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    by: str = "month",
    sites: Iterable[str] = (),
    municipality: str | None = None,
) -> DistributionReport:
    """GET /reports/distribution and the Reports page: check access, then build."""
    scope = resolve_scope(
        actor, date_from=date_from, date_to=date_to, sites=sites, municipality=municipality
    )
    return build_distribution(scope, by)


def distribution_json(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    by: str = "month",
    sites: Iterable[str] = (),
    municipality: str | None = None,
) -> dict[str, Any]:
    """GET /reports/distribution: the report, with the SWITCH ratio per month besides."""
    report = distribution_report(
        actor, date_from=date_from, date_to=date_to, by=by, sites=sites, municipality=municipality
    )
    monthly = report if by == "month" else build_distribution(report.scope, "month")
    return report.as_json(monthly)
