"""The discard form (kassering/svinn) for site leads."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.dates import today
from tracker.errors import DomainError
from tracker.services import catalog, discards, reorder
from tracker.services.access import likely_first
from tracker.web.common import current_actor
from tracker.web.validators import LotNumber, NoNationalId, clear_national_ids

bp = Blueprint("web_discards", __name__, url_prefix="/kassering")

REASONS = [
    SelectChoice("expired", _l("Utløpt")),
    SelectChoice("damaged", _l("Skadet")),
    SelectChoice("lost", _l("Tapt")),
    SelectChoice("other", _l("Annet (forklar i merknad)")),
]


class DiscardForm(FlaskForm):
    site = SelectField(_l("Sted"), validators=[DataRequired()], validate_choice=False)
    date = DateField(_l("Dato"), validators=[DataRequired()], default=today)
    item = SelectField(_l("Vare"), validators=[DataRequired()], validate_choice=False)
    lot = StringField(
        _l("Parti (for varer med parti)"), validators=[Optional(), Length(max=64), LotNumber()]
    )
    quantity = IntegerField(_l("Antall"), validators=[DataRequired(), NumberRange(1, 1_000_000)])
    reason = SelectField(_l("Årsak"), choices=REASONS, validators=[DataRequired()])
    note = TextAreaField(_l("Merknad"), validators=[Optional(), Length(max=2000), NoNationalId()])


@bp.route("", methods=["GET", "POST"])
@login_required
def new():
    """Discard stock at a site you lead; expired lots are accepted here."""
    actor = current_actor()
    form = DiscardForm()
    form.site.choices = [
        (s.code, s.name) for s in likely_first(actor, reorder.sites_for(actor, "lead"))
    ]
    form.item.choices = [(i.code, i.name_nb) for i in catalog.list_items(active=True)]
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("discards/new.html", form=form), status
    try:
        discards.discard(
            actor,
            site_code=form.site.data,
            discarded_on=form.date.data,
            item_code=form.item.data,
            quantity=form.quantity.data,
            reason=form.reason.data,
            lot=form.lot.data or None,
            note=form.note.data or None,
        )
    except DomainError as exc:
        flash(exc.detail, "error")
        clear_national_ids(form)  # e.g. an unknown lot typed as a national ID number
        return render_template("discards/new.html", form=form), exc.status
    flash(_("Kassert %(n)s.", n=form.quantity.data), "success")
    return redirect(url_for("web_discards.new"))
