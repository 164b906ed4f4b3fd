"""The national catalogue for admins: items (new, change, retire), kits' contents and the
reporting categories."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from tracker.errors import DomainError
from tracker.services import catalog, categories, kits
from tracker.services.access import require_role
from tracker.web.common import current_actor
from tracker.web.formats import category_names
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId

bp = Blueprint("web_catalog", __name__, url_prefix="/varer")

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
    category = SelectField(_l("Kategori"), choices=[])
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


def _with_categories(form: ItemForm) -> ItemForm:
    """The category choices are data: the fixed six and those an admin added."""
    form.category.choices = [SelectChoice(code, name) for code, name in category_names().items()]
    return form


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
    form = _with_categories(NewItemForm())
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
        "catalog/index.html", items=catalog.list_items(), form=form, categories=category_names()
    ), status


@bp.route("/<code>", methods=["GET", "POST"])
@login_required
def edit(code: str):
    """Change or retire an item; an item with history keeps its category (admin)."""
    actor = current_actor()
    require_role(actor, "admin")
    item = catalog.get_item(code)
    form = _with_categories(EditItemForm(obj=item))
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
    return _edit_page(form, code, status)


def _edit_page(form: ItemForm, code: str, status: int, values: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    kit = kits.kit_form(current_actor(), code)
    return render_template(
        "catalog/edit.html",
        item=kit.kit,
        form=form,
        kit=kit,
        contents_form=FlaskForm(),
        values=values,
    ), status


@bp.post("/<code>/innhold")
@login_required
def contents(code: str):
    """Set what a kit (brukerpakke) holds: one quantity per item, blank or 0 leaves it out."""
    actor = current_actor()
    require_role(actor, "admin")
    item = catalog.get_item(code)
    contents_form = FlaskForm()
    if not contents_form.validate_on_submit():
        return _edit_page(_with_categories(EditItemForm(obj=item)), code, 400)
    lines, bad = [], []
    for name, raw in request.form.items():
        if not name.startswith("q_"):
            continue
        text = raw.strip().replace(" ", "").replace("\u00a0", "")
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or len(text) > 5 or int(text) > 10_000:
            bad.append(name[2:])
            continue
        if int(text):
            lines.append({"item": name[2:], "quantity": int(text)})
    status = 422
    if bad:
        flash(
            _("Skriv et helt antall fra 0 til 10 000 for %(items)s.", items=", ".join(bad)), "error"
        )
    else:
        try:
            kits.set_contents(actor, code, lines)
        except DomainError as exc:
            flash(_("Ikke lagret: %(detail)s", detail=exc.detail), "error")
            status = exc.status
        else:
            flash(_("Innholdet i %(code)s er lagret.", code=code), "success")
            return redirect(url_for("web_catalog.edit", code=code))
    form = _with_categories(EditItemForm(obj=item))
    return _edit_page(form, code, status, dict(request.form))


class CategoryForm(FlaskForm):
    name_nb = StringField(
        _l("Navn (bokmål)"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=100), NoNationalId()],
    )
    name_en = StringField(
        _l("Navn (engelsk)"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=100), NoNationalId()],
    )


class NewCategoryForm(CategoryForm):
    code = StringField(
        _l("Kode (2–20 tegn: små bokstaver, tall og _)"),
        validators=[
            DataRequired(_l("Skriv en kode.")),
            Regexp(r"^[a-z][a-z0-9_]{1,19}$", message=_l("2–20 små bokstaver, tall eller _.")),
        ],
    )


CATEGORY_FIELDS = {name: name for name in ("code", "name_nb", "name_en")}


@bp.route("/kategorier", methods=["GET", "POST"])
@login_required
def category_index():
    """The reporting categories, and a form for a new one (its own report column; admin)."""
    actor = current_actor()
    require_role(actor, "admin")
    form = NewCategoryForm()
    status = 200
    if form.validate_on_submit():
        try:
            made = categories.create_category(
                actor, code=form.code.data, name_nb=form.name_nb.data, name_en=form.name_en.data
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, CATEGORY_FIELDS), "error")
            status = exc.status
        else:
            flash(_("Kategorien %(name)s er opprettet.", name=made.name_nb), "success")
            return redirect(url_for("web_catalog.category_index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "catalog/categories.html", categories=categories.list_categories(), form=form
    ), status


@bp.route("/kategorier/<code>", methods=["GET", "POST"])
@login_required
def category_edit(code: str):
    """Rename an added category (admin); the fixed ones keep their names."""
    actor = current_actor()
    require_role(actor, "admin")
    category = categories.get_category(code)
    form = CategoryForm(obj=category)
    status = 200
    if form.validate_on_submit():
        try:
            categories.rename_category(
                actor, code, name_nb=form.name_nb.data, name_en=form.name_en.data
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, CATEGORY_FIELDS), "error")
            status = exc.status
        else:
            flash(_("Kategorien %(code)s er lagret.", code=code), "success")
            return redirect(url_for("web_catalog.category_index"))
    elif form.is_submitted():
        status = 422
    return render_template("catalog/category.html", category=category, form=form), status
