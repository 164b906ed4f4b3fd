"""Report figures for overdoses, referrals, returns and contacts by group, per site and month.

A fixed number of queries whatever the number of sites: each table is grouped in SQL by
site and day, and folded into months here (the tables hold few rows per site and day).
Needles and syringes handed out, for the returns, come from the monthly distribution report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from tracker.exports import event_tables
from tracker.exports.event_tables import TOTAL, EventFigures, Row
from tracker.extensions import db
from tracker.models import ContactGroupCount, EquipmentReturn, OverdoseEvent, Referral
from tracker.models.events import CONTACT_GROUPS, RETURN_KINDS
from tracker.services import reports
from tracker.services.access import Actor
from tracker.services.reports import Scope


def _month(day: date) -> date:
    return day.replace(day=1)


def _in(model: Any, column: Any, scope: Scope) -> list[Any]:
    return [model.site_id.in_(scope.site_ids), column >= scope.start, column <= scope.end]


def overdose_figures(scope: Scope) -> dict[Row, dict[str, int]]:
    e = OverdoseEvent
    rows = db.session.execute(
        select(
            e.site_id,
            e.event_date,
            e.place,
            e.outcome,
            e.oxygen_given,
            e.cpr_given,
            e.ambulance_called,
            func.sum(case((e.naloxone_doses > 0, 1), else_=0)),
            func.count(e.id),
            func.sum(e.naloxone_doses),
        )
        .where(*_in(e, e.event_date, scope), e.deleted_at.is_(None))
        .group_by(
            e.site_id,
            e.event_date,
            e.place,
            e.outcome,
            e.oxygen_given,
            e.cpr_given,
            e.ambulance_called,
        )
    )
    result: dict[Row, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, day, place, outcome, oxygen, cpr, ambulance, gave, n, doses in rows:
        figures = result[(site_id, _month(day))]
        figures["events"] += n
        figures[f"place.{place}"] += n
        figures[f"outcome.{outcome}"] += n
        figures["doses"] += int(doses or 0)
        figures["with_naloxone"] += int(gave or 0)
        for key, flag in (("oxygen", oxygen), ("cpr", cpr)):
            figures[key] += n if flag else 0
        figures["ambulance"] += n if ambulance else 0
    return {row: dict(f) for row, f in result.items()}


def referral_figures(scope: Scope) -> dict[Row, dict[str, int]]:
    r = Referral
    rows = db.session.execute(
        select(r.site_id, r.referred_on, r.destination, func.sum(r.quantity))
        .where(*_in(r, r.referred_on, scope))
        .group_by(r.site_id, r.referred_on, r.destination)
    )
    result: dict[Row, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, day, destination, quantity in rows:
        figures = result[(site_id, _month(day))]
        figures["referred"] += int(quantity)
        figures[f"to.{destination}"] += int(quantity)
    return {row: dict(f) for row, f in result.items()}


def return_figures(scope: Scope, monthly: reports.DistributionReport) -> dict[Row, dict[str, int]]:
    """Returns by kind, and syringes + needles handed out, per site and month with either."""
    r = EquipmentReturn
    rows = db.session.execute(
        select(r.site_id, r.returned_on, r.kind, func.sum(r.quantity))
        .where(*_in(r, r.returned_on, scope))
        .group_by(r.site_id, r.returned_on, r.kind)
    )
    result: dict[Row, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RETURN_KINDS, 0))
    for site_id, day, kind, quantity in rows:
        result[(site_id, _month(day))][kind] += int(quantity)
    for bucket in monthly.buckets:
        for site_id in scope.site_ids:
            handed_out = sum(
                monthly.cells.get((site_id, category, bucket.label), 0) or 0
                for category in ("syringe", "needle")
            )
            key = (site_id, _month(bucket.start))
            if handed_out or key in result:
                result[key]["handed_out"] = handed_out
    return {row: dict(f) for row, f in result.items()}


def group_figures(scope: Scope) -> dict[int, dict[str, int]]:
    g = ContactGroupCount
    rows = db.session.execute(
        select(g.site_id, *(func.sum(getattr(g, name)) for name in CONTACT_GROUPS))
        .where(*_in(g, g.counted_on, scope))
        .group_by(g.site_id)
    )
    return {
        site_id: {name: int(v or 0) for name, v in zip(CONTACT_GROUPS, values, strict=True)}
        for site_id, *values in rows
    }


def gather(scope: Scope, monthly: reports.DistributionReport) -> EventFigures:
    """Every figure of the four tables for the scope; `monthly` is the distribution by month."""
    return EventFigures(
        overdoses=overdose_figures(scope),
        referrals=referral_figures(scope),
        returns=return_figures(scope, monthly),
        groups=group_figures(scope),
    )


def per_hundred(returned: int, handed_out: int) -> float | None:
    """Pieces returned per 100 syringes and needles handed out (None when none went out)."""
    return round(100 * returned / handed_out, 1) if handed_out else None


def _json_rows(
    shown: dict[Any, dict[str, Any]], rows: list[Row], codes: dict[int, str]
) -> dict[str, Any]:
    return {
        "rows": [
            {"site": codes[site_id], "month": month, "figures": shown[(site_id, month)]}
            for site_id, month in rows
        ],
        "total": shown[TOTAL],
    }


def events_report(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    external: bool = False,
    threshold: int = 5,
) -> dict[str, Any]:
    """The four tables as JSON, protected as the external workbook when `external`."""
    scope = reports.resolve_scope(
        actor, date_from=date_from, date_to=date_to, sites=sites, municipality=municipality
    )
    figures = gather(scope, reports.build_distribution(scope, "month"))
    codes = {site.id: site.code for site in scope.sites}
    order = {site.id: index for index, site in enumerate(scope.sites)}

    def rows(table: dict[Row, Any]) -> list[Row]:
        return sorted(table, key=lambda k: (order[k[0]], k[1]))

    overdose_rows, referral_rows, return_rows = (
        rows(figures.overdoses),
        rows(figures.referrals),
        rows(figures.returns),
    )
    returns_total: dict[str, int] = defaultdict(int)
    for row in return_rows:
        for key, value in figures.returns[row].items():
            returns_total[key] += value
    groups = event_tables.group_table(figures.groups, scope.site_ids, external, threshold)
    return {
        "from": scope.start,
        "to": scope.end,
        "external": external,
        "overdoses": _json_rows(
            event_tables.overdose_table(figures.overdoses, overdose_rows, external, threshold),
            overdose_rows,
            codes,
        ),
        "referrals": _json_rows(
            event_tables.referral_table(figures.referrals, referral_rows, external, threshold),
            referral_rows,
            codes,
        ),
        "returns": {
            "rows": [
                {
                    "site": codes[site_id],
                    "month": month,
                    "figures": {
                        **figures.returns[(site_id, month)],
                        "per_hundred": per_hundred(
                            figures.returns[(site_id, month)].get("pieces", 0),
                            figures.returns[(site_id, month)].get("handed_out", 0),
                        ),
                    },
                }
                for site_id, month in return_rows
            ],
            "total": {
                **returns_total,
                "per_hundred": per_hundred(
                    returns_total.get("pieces", 0), returns_total.get("handed_out", 0)
                ),
            },
        },
        "contact_groups": {
            "rows": [
                {"site": codes[site_id], "figures": groups[site_id]}
                for site_id in scope.site_ids
                if site_id in figures.groups
            ],
            "total": groups[TOTAL],
        },
    }
