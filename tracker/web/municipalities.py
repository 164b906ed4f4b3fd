"""Municipalities for admins: the list, a new one, a new name."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from tracker.errors import DomainError
from tracker.services import municipalities
from tracker.services.access import require_role
from tracker.web.common import current_actor
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId

bp = Blueprint("web_municipalities", __name__, url_prefix="/kommuner")


def _name_field() -> StringField:
    return StringField(
        _l("Navn"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=100), NoNationalId()],
    )


class NewMunicipalityForm(FlaskForm):
    number = StringField(
        _l("Kommunenummer (4 sifre)"),
        validators=[
            DataRequired(_l("Skriv kommunenummeret.")),
            Regexp(r"^[0-9]{4}$", message=_l("Et kommunenummer har 4 sifre.")),
        ],
        render_kw={"inputmode": "numeric", "maxlength": 4},
    )
    name = _name_field()


class RenameForm(FlaskForm):
    name = _name_field()


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """Every municipality, and a form for a new one (admin)."""
    actor = current_actor()
    require_role(actor, "admin")
    form = NewMunicipalityForm()
    status = 200
    if form.validate_on_submit():
        try:
            place = municipalities.create_municipality(
                actor, number=form.number.data, name=form.name.data
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, {"number": "number", "name": "name"}), "error")
            status = exc.status
        else:
            flash(
                _("%(name)s (%(number)s) er opprettet.", name=place.name, number=place.number),
                "success",
            )
            return redirect(url_for("web_municipalities.index"))
    elif form.is_submitted():
        status = 422
    places = municipalities.list_municipalities(actor)
    return render_template(
        "municipalities/index.html", places=places, form=form, rename=RenameForm(formdata=None)
    ), status


@bp.post("/<number>/navn")
@login_required
def rename(number: str):
    """Give a municipality a new name (admin)."""
    actor = current_actor()
    form = RenameForm()
    if not form.validate_on_submit():
        require_role(actor, "admin")
        flash(_("Skriv det nye navnet."), "error")
        return redirect(url_for("web_municipalities.index"))
    place = municipalities.rename_municipality(actor, number, form.name.data)
    flash(_("%(number)s heter nå %(name)s.", number=place.number, name=place.name), "success")
    return redirect(url_for("web_municipalities.index"))
