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
        "counts/sheet.html", count=count, rows=counts.sheet(count), form=form
    ), status


@bp.post("/<int:count_id>/avslutt")
@login_required
def close(count_id: int):
    """Close the count: the variance is written to the ledger."""
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Skjemaet er utløpt; prøv igjen."), "error")
        return redirect(url_for("web_counts.sheet", count_id=count_id))
    try:
        counts.close(current_actor(), count_id)
    except DomainError as exc:
        flash(exc.detail, "error")
    else:
        flash(_("Tellingen er avsluttet og avvikene er ført."), "success")
    return redirect(url_for("web_counts.sheet", count_id=count_id))
