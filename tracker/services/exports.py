"""The Helsedirektoratet summary export: gather the figures, stream the workbook, keep a copy.

Distribution and contacts come from services/reports.py (the daily aggregates). Naloxone,
training, certification and stock figures are grouped in SQL here, a fixed number of queries
whatever the number of sites. The workbook itself is laid out by tracker/exports (pure).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from tracker import periods
from tracker.dates import OSLO, today
from tracker.errors import ValidationError
from tracker.exports import summary as workbook
from tracker.extensions import db
from tracker.models import Lot, Membership, NaloxoneHandout, SiteItem, StockBalance, User
from tracker.models.training import Certification, TrainingSession
from tracker.services import reports
from tracker.services.access import Actor
from tracker.services.stock import usage_per_day

LANGS = ("nb", "en")
EXPIRY_DAYS = 90
CPR_WARNING_DAYS = 90
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportFile:
    """A finished workbook on disk and the name to offer for download."""

    path: Path
    filename: str
    data: workbook.SummaryData


def app_version() -> str:
    try:
        return metadata.version("tracker")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def naloxone_figures(scope: reports.Scope) -> dict[int, dict[str, int]]:
    """Kits per site by recipient group, first vs refill, and refill reason (one query)."""
    rows = db.session.execute(
        select(
            NaloxoneHandout.site_id,
            NaloxoneHandout.recipient_group,
            NaloxoneHandout.first_time,
            NaloxoneHandout.refill_reason,
            func.sum(NaloxoneHandout.quantity),
        )
        .where(
            NaloxoneHandout.site_id.in_(scope.site_ids),
            NaloxoneHandout.handed_out_on >= scope.start,
            NaloxoneHandout.handed_out_on <= scope.end,
        )
        .group_by(
            NaloxoneHandout.site_id,
            NaloxoneHandout.recipient_group,
            NaloxoneHandout.first_time,
            NaloxoneHandout.refill_reason,
        )
    )
    result: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, group, first, reason, kits in rows:
        figures = result[site_id]
        figures["kits"] += int(kits)
        figures[f"group.{group}"] += int(kits)
        figures["first" if first else "refill"] += int(kits)
        if not first:
            figures[f"reason.{reason or 'unknown'}"] += int(kits)
    return {site: dict(f) for site, f in result.items()}


def training_figures(scope: reports.Scope) -> dict[tuple[int, str], dict[str, int]]:
    """Sessions and participants per site and training type (one query)."""
    rows = db.session.execute(
        select(
            TrainingSession.site_id,
            TrainingSession.training_type,
            func.count(TrainingSession.id),
            func.sum(TrainingSession.pwud_count),
            func.sum(TrainingSession.relative_count),
            func.sum(TrainingSession.staff_count),
            func.sum(TrainingSession.other_count),
        )
        .where(
            TrainingSession.site_id.in_(scope.site_ids),
            TrainingSession.held_on >= scope.start,
            TrainingSession.held_on <= scope.end,
        )
        .group_by(TrainingSession.site_id, TrainingSession.training_type)
    )
    return {
        (site, kind): {
            "sessions": int(n),
            "pwud": int(p or 0),
            "relative": int(r or 0),
            "staff": int(s or 0),
            "other": int(o or 0),
        }
        for site, kind, n, p, r, s, o in rows
    }


def cpr_status(scope: reports.Scope, on: date) -> dict[int, workbook.CprStatus]:
    """Per site: its active staff and leads, by the state of their CPR certificate on `on`."""
    members = db.session.execute(
        select(Membership.site_id, Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.site_id.in_(scope.site_ids), User.active.is_(True))
    ).all()
    latest = dict(
        db.session.execute(
            select(Certification.user_id, func.max(Certification.valid_until))
            .where(
                Certification.training_type == "cpr",
                Certification.certified_on <= on,
                Certification.user_id.in_({u for _, u in members}),
            )
            .group_by(Certification.user_id)
        ).all()
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, user_id in members:
        valid_until = latest.get(user_id)
        if valid_until is None:
            state = "missing"
        elif valid_until < on:
            state = "expired"
        elif valid_until < on + timedelta(days=CPR_WARNING_DAYS):
            state = "expiring"
        else:
            state = "valid"
        counts[site_id]["staff"] += 1
        counts[site_id][state] += 1
    return {site: workbook.CprStatus(**c) for site, c in counts.items()}


def stock_rows(
    scope: reports.Scope, items: list[reports.ItemInfo], on: date
) -> list[workbook.StockRow]:
    """On hand now per site and item, use per day, days left, expiring lots, discrepancies."""
    on_hand = {
        (s, i): int(q)
        for s, i, q in db.session.execute(
            select(StockBalance.site_id, StockBalance.item_id, func.sum(StockBalance.quantity))
            .where(StockBalance.site_id.in_(scope.site_ids))
            .group_by(StockBalance.site_id, StockBalance.item_id)
        )
    }
    negative = {
        (s, i)
        for s, i in db.session.execute(
            select(StockBalance.site_id, StockBalance.item_id)
            .where(StockBalance.site_id.in_(scope.site_ids), StockBalance.quantity < 0)
            .distinct()
        )
    }
    expiring = {
        (s, i): int(q)
        for s, i, q in db.session.execute(
            select(StockBalance.site_id, StockBalance.item_id, func.sum(StockBalance.quantity))
            .join(Lot, Lot.id == StockBalance.lot_id)
            .where(
                StockBalance.site_id.in_(scope.site_ids),
                StockBalance.quantity > 0,
                Lot.expiry <= on + timedelta(days=EXPIRY_DAYS),
            )
            .group_by(StockBalance.site_id, StockBalance.item_id)
        )
    }
    levels = {
        (s, i): r
        for s, i, r in db.session.execute(
            select(SiteItem.site_id, SiteItem.item_id, SiteItem.reorder_level).where(
                SiteItem.site_id.in_(scope.site_ids)
            )
        )
    }
    usage = usage_per_day(scope.site_ids, on)
    rows = []
    for site in scope.sites:
        for item in items:
            key = (site.id, item.id)
            if not item.active and key not in on_hand:
                continue
            quantity = on_hand.get(key, 0)
            rate = round(usage.get(key, 0.0), 2)
            rows.append(
                workbook.StockRow(
                    site.id,
                    item.id,
                    quantity,
                    rate,
                    round(max(quantity, 0) / rate, 1) if rate > 0 else None,
                    levels.get(key, 0),
                    expiring.get(key, 0),
                    key in negative,
                )
            )
    return rows


def gather(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    lang: str = "nb",
    external: bool = False,
    by: str = "month",
) -> workbook.SummaryData:
    """Check access and input, then compute every figure the workbook shows."""
    if lang not in LANGS:
        raise ValidationError(
            f"Unknown language '{lang}'; use nb or en.", {"lang": ["Use nb or en."]}
        )
    scope = reports.resolve_scope(
        actor, date_from=date_from, date_to=date_to, sites=sites, municipality=municipality
    )
    distribution = reports.build_distribution(scope, by)
    monthly = distribution if by == "month" else reports.build_distribution(scope, "month")
    on = today()
    return workbook.SummaryData(
        lang=lang,
        start=scope.start,
        end=scope.end,
        external=external,
        threshold=int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)),
        generated_at=datetime.now(OSLO).replace(tzinfo=None, microsecond=0),
        generated_by=f"{actor.user.name} <{actor.user.email}>",
        app_version=app_version(),
        sites=scope.sites,
        items=distribution.items,
        distribution=distribution,
        monthly=monthly,
        site_codes=scope.site_codes,
        municipality=scope.municipality,
        naloxone=naloxone_figures(scope),
        training=training_figures(scope),
        cpr=cpr_status(scope, min(scope.end, on)),
        stock=stock_rows(scope, distribution.items, on),
        stock_on=on,
    )


def filename(data: workbook.SummaryData) -> str:
    """sammendrag_2026-T3[_0301|_SITE].xlsx: the period's name when it is a whole one."""
    period = periods.describe(data.start, data.end)
    label = period.label if period.kind != "custom" else f"{data.start}_{data.end}"
    parts = ["sammendrag" if data.lang == "nb" else "summary", label]
    if data.municipality:
        parts.append(data.municipality)
    if data.site_codes:
        parts.append("-".join(data.site_codes)[:60])
    if data.external:
        parts.append("ekstern" if data.lang == "nb" else "external")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "_".join(parts).replace("..", "_")) + ".xlsx"


def export_summary(
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    sites: Iterable[str] = (),
    municipality: str | None = None,
    lang: str = "nb",
    external: bool = False,
    by: str = "month",
    output: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportFile:
    """Build the workbook and save it (by default under EXPORT_DIR, the saved copy)."""
    data = gather(
        actor,
        date_from=date_from,
        date_to=date_to,
        sites=sites,
        municipality=municipality,
        lang=lang,
        external=external,
        by=by,
    )
    db.session.rollback()  # a read: end the transaction before the (slower) writing
    if progress:
        progress("data")
    name = filename(data)
    if output is None:
        stamp = datetime.now(OSLO).strftime("%Y%m%dT%H%M%S")
        folder = Path(current_app.config.get("EXPORT_DIR") or "exports")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name[:-5]}_{stamp}_{actor.user_id}.xlsx"
    else:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        workbook.write(data, str(partial), progress)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportFile(path, name, data)
