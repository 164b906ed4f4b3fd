"""Discrepancy page: what the lead must look at, and resolving it with a note."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from tracker.errors import DomainError
from tracker.services import discrepancies
from tracker.web.common import current_actor
from tracker.web.counts import REASON_LABELS
from tracker.web.validators import NoNationalId

bp = Blueprint("web_discrepancies", __name__, url_prefix="/avvik")


class ResolveForm(FlaskForm):
    note = StringField(
        _l("Hva ble gjort"), validators=[DataRequired(), Length(max=2000), NoNationalId()]
    )


@bp.get("")
@login_required
def index():
    """Open discrepancies first, then the resolved ones with who resolved them and how."""
    found = discrepancies.recent(current_actor())
    return render_template(
        "discrepancies/index.html", found=found, form=ResolveForm(), reasons=REASON_LABELS
    )


@bp.post("/<int:discrepancy_id>/lukk")
@login_required
def resolve(discrepancy_id: int):
    """Resolve one discrepancy with a note."""
    form = ResolveForm()
    if not form.validate_on_submit():
        flash(_("Skriv hva som ble gjort."), "error")
        return redirect(url_for("web_discrepancies.index"))
    try:
        discrepancies.resolve(current_actor(), discrepancy_id, note=form.note.data)
    except DomainError as exc:
        flash(exc.detail, "error")
    else:
        flash(_("Avviket er lukket."), "success")
    return redirect(url_for("web_discrepancies.index"))
