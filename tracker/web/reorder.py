"""Reorder and expiry page: days of stock left, what to order, what expires soon."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from tracker.services import reorder
from tracker.services.exports import XLSX
from tracker.web.common import current_actor

bp = Blueprint("web_reorder", __name__)


@bp.get("/bestilling")
@login_required
def index():
    """One site (?sted=) or every site you see: levels, suggestions and lots expiring in 90 days."""
    actor = current_actor()
    site = request.args.get("sted") or None
    return render_template(
        "reorder/index.html",
        sites=reorder.sites_for(actor),
        chosen=site,
        report=reorder.overview(actor, site),
    )


@bp.get("/bestilling.xlsx")
@login_required
def workbook():
    """Download the reorder list shown on the page as xlsx."""
    body = reorder.reorder_workbook(current_actor(), request.args.get("sted") or None)
    return Response(
        body,
        mimetype=XLSX,
        headers={"Content-Disposition": 'attachment; filename="bestilling.xlsx"'},
    )
