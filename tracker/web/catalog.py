"""The national catalogue for admins: every item, a new item, change or retire one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from tracker.errors import DomainError
from tracker.services import catalog
from tracker.services.access import require_role
from tracker.web.common import current_actor
from tracker.web.formats import CATEGORY_LABELS
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId

bp = Blueprint("web_catalog", __name__, url_prefix="/varer")

CATEGORY_CHOICES = [SelectChoice(name, label) for name, label in CATEGORY_LABELS.items()]
FIELDS = {name: name for name in ("code", "name_nb", "name_en", "category", "unit")}


class ItemForm(FlaskForm):
    name_nb = StringField(
        _l("Navn (bokmål)"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=200), NoNationalId()],
    )
    name_en = StringField(
        _l("Navn (engelsk)"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=200), NoNationalId()],
    )
    category = SelectField(_l("Kategori"), choices=CATEGORY_CHOICES)
    unit = StringField(
        _l("Enhet"), default="stk", validators=[DataRequired(), Length(max=20), NoNationalId()]
    )
    tracks_lots = BooleanField(_l("Følger parti og utløpsdato (alltid for nalokson)"))
    sort_order = IntegerField(
        _l("Rekkefølge"), default=0, validators=[Optional(), NumberRange(0, 10_000)]
    )


class NewItemForm(ItemForm):
    code = StringField(
        _l("Kode (2–32 tegn: bokstaver, tall, - og _)"),
        validators=[
            DataRequired(_l("Skriv en kode.")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,31}$",
                message=_l("2–32 bokstaver, tall, - eller _."),
            ),
        ],
    )


class EditItemForm(ItemForm):
    active = BooleanField(_l("I bruk (en utgått vare kan ikke registreres mer)"))


def _values(form: ItemForm) -> dict[str, object]:
    return {
        "name_nb": form.name_nb.data,
        "name_en": form.name_en.data,
        "category": form.category.data,
        "unit": form.unit.data,
        "tracks_lots": form.tracks_lots.data,
        "sort_order": form.sort_order.data or 0,
    }


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """The national catalogue and a form for a new item (admin: invariant 11)."""
    actor = current_actor()
    require_role(actor, "admin")
    form = NewItemForm()
    status = 200
    if form.validate_on_submit():
        try:
            item = catalog.create_item(actor, code=form.code.data, **_values(form))
        except DomainError as exc:
            flash(show_domain_error(form, exc, FIELDS), "error")
            status = exc.status
        else:
            flash(
                _("%(name)s (%(code)s) er opprettet.", name=item.name_nb, code=item.code), "success"
            )
            return redirect(url_for("web_catalog.index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "catalog/index.html", items=catalog.list_items(), form=form, categories=CATEGORY_LABELS
    ), status


@bp.route("/<code>", methods=["GET", "POST"])
@login_required
def edit(code: str):
    """Change or retire an item; an item with history keeps its category (admin)."""
    actor = current_actor()
    require_role(actor, "admin")
    item = catalog.get_item(code)
    form = EditItemForm(obj=item)
    status = 200
    if form.validate_on_submit():
        try:
            item = catalog.update_item(actor, code, {**_values(form), "active": form.active.data})
        except DomainError as exc:
            flash(show_domain_error(form, exc, FIELDS), "error")
            status = exc.status
        else:
            flash(_("%(name)s er lagret.", name=item.name_nb), "success")
            return redirect(url_for("web_catalog.index"))
    elif form.is_submitted():
        status = 422
    return render_template("catalog/edit.html", item=item, form=form), status
