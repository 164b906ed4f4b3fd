"""Sites for coordinators (create, rename, kind, operator, active); levels for leads."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from tracker.errors import DomainError
from tracker.services import catalog, municipalities, sites
from tracker.services.access import can, require_role, require_site
from tracker.web.common import current_actor, site_page
from tracker.web.formats import number
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId

bp = Blueprint("web_sites", __name__)

KIND_LABELS = {
    "lavterskel_helsesenter": _l("Lavterskel helsesenter"),
    "mo_senter": _l("MO-senter"),
    "sproyterom": _l("Sprøyterom"),
    "oppsokende_team": _l("Oppsøkende team"),
    "apotek": _l("Apotek"),
    "fengsel": _l("Fengsel"),
    "annet": _l("Annet"),
}
KIND_CHOICES = [SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]
OPERATOR_LABELS = {
    "municipal": _l("Kommunal"),
    "ngo": _l("Frivillig organisasjon"),
    "other": _l("Annen"),
}
OPERATOR_CHOICES = [SelectChoice(key, label) for key, label in OPERATOR_LABELS.items()]
MAX_LEVEL = 1_000_000


def _name_field() -> StringField:
    return StringField(
        _l("Navn"), validators=[DataRequired(_l("Skriv navnet.")), Length(max=200), NoNationalId()]
    )


class NewSiteForm(FlaskForm):
    code = StringField(
        _l("Kode (2–32 tegn: bokstaver, tall, - og _)"),
        validators=[
            DataRequired(_l("Skriv en kode.")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,31}$", message=_l("2–32 bokstaver, tall, - eller _.")
            ),
        ],
    )
    name = _name_field()
    municipality = SelectField(_l("Kommune"), choices=[])
    kind = SelectField(_l("Type"), choices=KIND_CHOICES)
    operator = SelectField(_l("Drives av"), choices=OPERATOR_CHOICES, default="municipal")


class EditSiteForm(FlaskForm):
    name = _name_field()
    kind = SelectField(_l("Type"), choices=KIND_CHOICES)
    operator = SelectField(_l("Drives av"), choices=OPERATOR_CHOICES)
    active = BooleanField(_l("Aktiv (deaktiverte steder tar ikke imot nye registreringer)"))
    contacts_by_group = BooleanField(
        _l("Tell kontakter etter gruppe (kvinner, menn, annet; første besøk i år, gjentatt)")
    )


@bp.route("/steder", methods=["GET", "POST"])
@login_required
def index():
    """The sites of your municipality (an admin: all), and a form for a new one."""
    actor = current_actor()
    require_role(actor, "coordinator")
    form = NewSiteForm()
    form.municipality.choices = [
        SelectChoice(p.number, f"{p.number} {p.name}")
        for p in municipalities.list_municipalities(actor)
    ]
    status = 200
    if form.validate_on_submit():
        try:
            site = sites.create_site(
                actor,
                code=form.code.data,
                name=form.name.data,
                municipality=form.municipality.data,
                kind=form.kind.data,
                operator=form.operator.data,
            )
        except DomainError as exc:
            fields = {
                "code": "code",
                "municipality": "municipality",
                "kind": "kind",
                "operator": "operator",
            }
            flash(show_domain_error(form, exc, fields), "error")
            status = exc.status
        else:
            flash(_("%(name)s (%(code)s) er opprettet.", name=site.name, code=site.code), "success")
            return redirect(url_for("web_sites.index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "sites/index.html",
        sites=sites.list_sites(actor),
        form=form,
        kinds=KIND_LABELS,
        operators=OPERATOR_LABELS,
    ), status


@bp.route("/steder/<code>/rediger", methods=["GET", "POST"])
@login_required
def edit(code: str):
    """Rename a site, change its kind, or deactivate it (coordinator of its municipality)."""
    actor = current_actor()
    site = require_site(actor, sites.read_site(actor, code), "coordinator")
    form = EditSiteForm(obj=site)
    status = 200
    if form.validate_on_submit():
        changes = {
            "name": form.name.data,
            "kind": form.kind.data,
            "operator": form.operator.data,
            "active": form.active.data,
            "contacts_by_group": form.contacts_by_group.data,
        }
        try:
            site = sites.update_site(actor, code, changes)
        except DomainError as exc:
            fields = {"name": "name", "kind": "kind", "operator": "operator"}
            flash(show_domain_error(form, exc, fields), "error")
            status = exc.status
        else:
            flash(_("%(name)s er lagret.", name=site.name), "success")
            return redirect(url_for("web_sites.index"))
    elif form.is_submitted():
        status = 422
    return render_template("sites/edit.html", site=site, form=form), status


@bp.get("/nivaer")
@login_required
def levels_here():
    return site_page("web_sites.levels")


@bp.route("/steder/<code>/nivaer", methods=["GET", "POST"])
@login_required
def levels(code: str):
    """Reorder and target level per item at a site (its lead sets them; staff see them)."""
    actor = current_actor()
    site = sites.read_site(actor, code)
    items = catalog.list_items(active=True)
    current = catalog.levels_for(site.id)
    form = FlaskForm()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        wanted = _levels_from(request.form, items, errors)
        if not errors:
            try:
                changed = catalog.set_site_levels(actor, code, wanted)
            except DomainError as exc:
                flash(_("Ikke lagret: %(detail)s", detail=exc.detail), "error")
                status = exc.status
            else:
                flash(_("Nivåene er lagret (%(n)d endret).", n=changed), "success")
                return redirect(url_for("web_sites.levels", code=code))
        else:
            status = 422
    elif request.method == "POST":
        status = 400
    return render_template(
        "sites/levels.html",
        site=site,
        items=items,
        current=current,
        values=request.form if request.method == "POST" else None,
        errors=errors,
        form=form,
        may_edit=can(actor, site, "lead"),
    ), status


@bp.route("/steder/<code>/varer", methods=["GET", "POST"])
@login_required
def items(code: str):
    """The items a site hands out: staff see the list; its lead, its municipality's
    coordinator or an admin turn an item on or off (one button per item)."""
    actor = current_actor()
    form = FlaskForm()
    status = 200
    if request.method == "POST":
        wanted = request.form.get("active")
        if not form.validate_on_submit() or wanted not in ("1", "0"):
            status = 400
        else:
            item_code = request.form.get("item", "")
            try:
                state = catalog.update_site_item(actor, code, item_code, {"active": wanted == "1"})
            except DomainError as exc:
                flash(_("Ikke lagret: %(detail)s", detail=exc.detail), "error")
                status = exc.status
            else:
                message = (
                    _("%(item)s er slått på ved stedet.", item=state.item)
                    if state.active
                    else _("%(item)s er slått av ved stedet.", item=state.item)
                )
                flash(message, "success")
                return redirect(url_for("web_sites.items", code=code))
    site, rows = catalog.list_site_items(actor, code)
    return render_template(
        "sites/items.html",
        site=site,
        rows=rows,
        form=form,
        may_edit=can(actor, site, "lead"),
    ), status


WEEKDAY_NAMES = [
    _l("mandag"),
    _l("tirsdag"),
    _l("onsdag"),
    _l("torsdag"),
    _l("fredag"),
    _l("lørdag"),
    _l("søndag"),
]


class OpeningForm(FlaskForm):
    """One tick per ISO weekday (day_1 Monday .. day_7 Sunday)."""


for _number, _name in enumerate(WEEKDAY_NAMES, start=1):
    setattr(OpeningForm, f"day_{_number}", BooleanField(_name))


@bp.route("/steder/<code>/apningsdager", methods=["GET", "POST"])
@login_required
def opening(code: str):
    """The days a site is open (reports count completeness out of them); its lead, its
    municipality's coordinator or an admin change them, staff see them."""
    actor = current_actor()
    site = sites.read_site(actor, code)
    form = OpeningForm(data={f"day_{d}": True for d in site.weekdays})
    status = 200
    if form.validate_on_submit():
        days = [d for d in range(1, 8) if form[f"day_{d}"].data]
        try:
            site = sites.update_site(actor, code, {"opening_weekdays": days})
        except DomainError as exc:
            flash(_("Ikke lagret: %(detail)s", detail=exc.detail), "error")
            status = exc.status
        else:
            flash(_("Åpningsdagene for %(code)s er lagret.", code=site.code), "success")
            return redirect(url_for("web_sites.opening", code=code))
    elif form.is_submitted():
        status = 400
    return render_template(
        "sites/opening.html",
        site=site,
        form=form,
        days=[form[f"day_{d}"] for d in range(1, 8)],
        may_edit=can(actor, site, "lead"),
    ), status


def _levels_from(form, items, errors: dict[str, str]) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The posted (reorder, target) levels per item code; what is not a level is an error."""
    wanted = {}
    for item in items:
        pair = [_level(form, f"{kind}_{item.code}", errors) for kind in ("reorder", "target")]
        reorder_level, target_level = pair
        if reorder_level is None or target_level is None:
            continue
        if target_level < reorder_level:
            errors[f"target_{item.code}"] = _("Målnivået må være minst bestillingsnivået.")
        wanted[item.code] = (reorder_level, target_level)
    return wanted


def _level(form, name: str, errors: dict[str, str]) -> int | None:  # type: ignore[no-untyped-def]
    """A whole number from 0 to MAX_LEVEL (blank is 0), or None with the error noted."""
    raw = form.get(name, "").strip().replace(" ", "").replace("\u00a0", "")
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()):
        errors[name] = _("Skriv et helt tall, uten desimaler eller minus.")
        return None
    if len(raw.lstrip("0")) > len(str(MAX_LEVEL)) or int(raw) > MAX_LEVEL:
        errors[name] = _("Høyst %(max)s.", max=number(MAX_LEVEL))
        return None
    return int(raw)
