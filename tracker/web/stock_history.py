"""Stock history pages: the movement report (stock card) of a site, its xlsx, the stock start."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker.dates import today
from tracker.errors import DomainError
from tracker.exports import stock_card
from tracker.services import stock_history, stock_start
from tracker.web.common import current_actor
from tracker.web.forms import parse_day

bp = Blueprint("web_stock_history", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period() -> tuple[date, date]:
    """`fra` and `til` from the query (ISO or dd.mm.yyyy); default this month to today."""
    on = today()
    start = parse_day(request.args.get("fra")) or on.replace(day=1)
    end = parse_day(request.args.get("til")) or on
    return start, end


@bp.get("/steder/<code>/lager/bevegelser")
@login_required
def movements(code: str):
    """Per item: opening, receipts, transfers, distribution, discards, adjustments, closing."""
    start, end = _period()
    try:
        report = stock_history.movement_report(current_actor(), code, start, end)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.detail, "error")
        on = today()
        report = stock_history.movement_report(current_actor(), code, on.replace(day=1), on)
    return render_template("stock/movements.html", report=report)


@bp.get("/steder/<code>/lager/bevegelser.xlsx")
@login_required
def movements_xlsx(code: str):
    """The movement report as an xlsx stock card."""
    start, end = _period()
    lang = "en" if request.args.get("sprak") == "en" else "nb"
    report = stock_history.movement_report(current_actor(), code, start, end)
    body = stock_card.build(report.rows(lang), report.site.code, start, end, lang)
    name = f"lagerkort_{report.site.code}_{start.isoformat()}_{end.isoformat()}.xlsx"
    return Response(
        body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/steder/<code>/lager/lagerstart")
@login_required
def set_stock_start(code: str):
    """A lead sets the stock start earlier (history between moves stock from then on)."""
    chosen = parse_day(request.form.get("stock_start"))
    if chosen is None:
        flash(_("Skriv en dato (dd.mm.åååå)."), "error")
        return redirect(url_for("web_stock.site_stock", code=code)), 303
    try:
        stock_start.set_start(current_actor(), code, chosen)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.detail, "error")
    else:
        flash(_("Lagerstart er satt til %(day)s.", day=chosen.strftime("%d.%m.%Y")), "success")
    return redirect(url_for("web_stock.site_stock", code=code)), 303
