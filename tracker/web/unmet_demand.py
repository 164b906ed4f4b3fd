"""Unmet demand on the daily form: one tap when an item was asked for and it was out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker import dates
from tracker.errors import DomainError
from tracker.services import unmet_demand
from tracker.web.common import current_actor, new_form_key, once, valid_form_key
from tracker.web.forms import parse_day

bp = Blueprint("web_unmet_demand", __name__)

FORM_NAME = "unmet-demand"


@bp.app_context_processor
def _form_key() -> dict[str, object]:
    return {"unmet_form_key": new_form_key}


@bp.get("/steder/<code>/spurt-om")
@login_required
def index(code: str):
    """What the site was asked for and could not give, the last four weeks, and the form."""
    return render_template("unmet_demand/index.html", page=unmet_demand.page(current_actor(), code))


@bp.post("/steder/<code>/spurt-om")
@login_required
def record(code: str):
    """Save one record and go back where the form was (the daily form or this page)."""
    day = parse_day(request.form.get("date")) or dates.today()
    back = (
        url_for("web_tallies.entry", code=code, dato=day.isoformat())
        if request.form.get("back") == "entry"
        else url_for("web_unmet_demand.index", code=code)
    )
    raw = (request.form.get("quantity") or "").strip()
    key = request.form.get("form_key", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not valid_form_key(key):
        flash(_("Ikke lagret: skriv et helt antall fra 1."), "error")
        return redirect(back, 303)
    item_code = request.form.get("item", "")
    payload = {"date": day.isoformat(), "item": item_code, "quantity": int(raw)}
    try:
        _saved, stored = once(
            f"{FORM_NAME}:{code}",
            key,
            payload,
            lambda idem: unmet_demand.record(
                current_actor(),
                site_code=code,
                day=day,
                item_code=item_code,
                quantity=int(raw),
                idem=idem,
            ),
        )
    except DomainError as exc:
        flash(str(exc.detail), "error")
        return redirect(back, 303)
    if stored is not None:
        flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
    else:
        flash(_("Lagret: %(n)s spurt om og ikke gitt.", n=int(raw)), "success")
    return redirect(back, 303)
