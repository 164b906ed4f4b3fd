"""Stock count pages (varetelling): open a count, count on a phone, close it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired

from tracker.errors import DomainError
from tracker.services import counts, reorder
from tracker.services.access import likely_first
from tracker.services.unit import parse_id
from tracker.web.common import current_actor

bp = Blueprint("web_counts", __name__, url_prefix="/varetelling")


class OpenForm(FlaskForm):
    site = SelectField(_l("Sted"), validators=[DataRequired()], validate_choice=False)
    show_expected = BooleanField(_l("Vis forventet beholdning under tellingen"))


class TokenForm(FlaskForm):
    """Only the CSRF token: the counted quantities are read from the sheet's inputs."""


@bp.get("")
@login_required
def index():
    """Counts at your sites, and starting a new one."""
    actor = current_actor()
    form = OpenForm()
    form.site.choices = [
        (s.code, s.name) for s in likely_first(actor, reorder.sites_for(actor, "lead"))
    ]
    return render_template("counts/index.html", counts=counts.recent(actor), form=form)


@bp.post("")
@login_required
def open_count():
    """Start a count: the snapshot is taken now."""
    form = OpenForm()
    if not form.validate_on_submit():
        flash(_("Velg et sted."), "error")
        return redirect(url_for("web_counts.index"))
    try:
        count = counts.open_count(
            current_actor(), site_code=form.site.data, show_expected=form.show_expected.data
        )
    except DomainError as exc:
        flash(exc.detail, "error")
        return redirect(url_for("web_counts.index"))
    return redirect(url_for("web_counts.sheet", count_id=count.id))


def _counted_lines() -> list[dict[str, object]]:
    """Inputs named q|ITEM|LOT; an empty box is not counted. ValueError if not a number."""
    lines: list[dict[str, object]] = []
    for name, value in request.form.items():
        if not name.startswith("q|") or not value.strip():
            continue
        _, item, lot = name.split("|", 2)
        lines.append({"item": item, "lot": lot or None, "quantity": int(value.strip())})
    return lines


@bp.route("/<int:count_id>", methods=["GET", "POST"])
@login_required
def sheet(count_id: int):
    """The counting sheet: one box per item (and lot), big enough for a thumb."""
    actor = current_actor()
    count = counts.get_count(actor, count_id)
    form = TokenForm()
    status = 200
    if request.method == "POST":
        status = 422
        if not form.validate_on_submit():
            flash(_("Skjemaet er utløpt; prøv igjen."), "error")
        else:
            try:
                counts.set_lines(actor, count_id, _counted_lines())
            except ValueError:
                flash(_("Skriv antall som hele tall (0 eller mer)."), "error")
            except DomainError as exc:
                flash(exc.detail, "error")
                status = exc.status
            else:
                flash(_("Tellingen er lagret."), "success")
                return redirect(url_for("web_counts.sheet", count_id=count_id))
    return render_template(
        "counts/sheet.html", count=count, rows=counts.sheet(count), form=form, reasons=REASON_LABELS
    ), status


REASON_LABELS = {
    "damaged": _l("Skadet"),
    "expired": _l("Utløpt"),
    "lost": _l("Mistet"),
    "stolen": _l("Stjålet"),
    "counting_error": _l("Tellefeil"),
    "found": _l("Funnet"),
    "other": _l("Annet"),
}


def _reasons() -> dict[int, str]:
    """Selects named reason-LINE; an empty choice is no reason (the service asks again)."""
    reasons: dict[int, str] = {}
    for name, value in request.form.items():
        line_id = parse_id(name.removeprefix("reason-")) if name.startswith("reason-") else None
        if line_id is not None and value:
            reasons[line_id] = value
    return reasons


@bp.post("/<int:count_id>/avslutt")
@login_required
def close(count_id: int):
    """Close the count in two steps: lines that differ from the expected quantity are shown
    (counting itself stays blind) and each needs a reason; then the variance is written."""
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Skjemaet er utløpt; prøv igjen."), "error")
        return redirect(url_for("web_counts.sheet", count_id=count_id))
    actor = current_actor()
    note = (request.form.get("note") or "").strip() or None
    try:
        counts.close(actor, count_id, note=note, reasons=_reasons())
    except DomainError as exc:
        if exc.code != "count-reasons-required":
            flash(exc.detail, "error")
            return redirect(url_for("web_counts.sheet", count_id=count_id))
        count = counts.get_count(actor, count_id)
        return render_template(
            "counts/close.html",
            count=count,
            differ=counts.variances(count),
            labels=REASON_LABELS,
            chosen=request.form,
            note=note or "",
            form=form,
            message=exc.detail,
        ), 409
    flash(_("Tellingen er avsluttet og avvikene er ført."), "success")
    return redirect(url_for("web_counts.sheet", count_id=count_id))
