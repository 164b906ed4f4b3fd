"""User accounts for coordinators and admins: who has access where; new accounts,
deactivate, log out, one-time links for a new password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from tracker.errors import DomainError
from tracker.services import municipalities, password_resets, sites, users
from tracker.web.common import current_actor
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId

bp = Blueprint("web_users", __name__)

ROLE_CHOICES = [
    SelectChoice("staff", _l("ansatt")),
    SelectChoice("lead", _l("stedsleder")),
    SelectChoice("coordinator", _l("koordinator")),
]


class NewUserForm(FlaskForm):
    """A site account (staff or site lead) or a coordinator; admins may also make admins."""

    name = StringField(
        _l("Navn"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=200), NoNationalId()],
    )
    email = EmailField(
        _l("E-post"),
        validators=[DataRequired(_l("Skriv e-postadressen.")), Length(max=254)],
    )
    role = SelectField(_l("Rolle"), choices=ROLE_CHOICES)
    site = SelectField(_l("Sted (for ansatt og stedsleder)"), choices=[])
    municipality = SelectField(_l("Kommune (for koordinator)"), choices=[], validate_choice=False)
    password = PasswordField(
        _l("Første passord (minst 10 tegn)"),
        validators=[
            DataRequired(_l("Skriv et passord.")),
            Length(min=users.MIN_PASSWORD, message=_l("Minst %(n)d tegn.", n=users.MIN_PASSWORD)),
        ],
    )


class ConfirmForm(FlaskForm):
    """A bare form: a button and its CSRF token."""


class EditUserForm(FlaskForm):
    """Name, global role and municipality; the site roles come as site_<code> fields."""

    name = StringField(
        _l("Navn"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=200), NoNationalId()],
    )
    global_role = SelectField(_l("Rolle for hele kommunen eller landet"), choices=[])
    municipality = SelectField(_l("Kommune (for koordinator)"), choices=[], validate_choice=False)


SITE_ROLE_CHOICES = [
    SelectChoice("", _l("ingen tilgang")),
    SelectChoice("staff", _l("ansatt")),
    SelectChoice("lead", _l("stedsleder")),
]


def _new_user_form(actor) -> NewUserForm:  # type: ignore[no-untyped-def]
    form = NewUserForm()
    if actor.is_admin:
        form.role.choices = [*ROLE_CHOICES, SelectChoice("admin", _l("administrator"))]
    form.site.choices = [SelectChoice("", "–")] + [
        SelectChoice(site.code, f"{site.code} – {site.name}")
        for site in sites.list_sites(actor, active=True)
    ]
    form.municipality.choices = _municipality_choices(actor)
    return form


def _municipality_choices(actor) -> list[SelectChoice]:  # type: ignore[no-untyped-def]
    """The municipalities a coordinator made by this actor may have ('' = all, national)."""
    places = [
        SelectChoice(p.number, f"{p.number} {p.name}")
        for p in municipalities.list_municipalities(actor)
    ]
    if actor.user.municipality_id is None:
        places.insert(0, SelectChoice("", _l("alle kommuner")))
    return places


@bp.route("/brukere", methods=["GET", "POST"])
@login_required
def index():
    """Every account the coordinator or admin may manage, and a form for a new one."""
    actor = current_actor()
    accounts = users.list_users(actor)  # 403 for anyone below coordinator
    form = _new_user_form(actor)
    status = 200
    if form.validate_on_submit():
        try:
            user = users.create_user(
                actor,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                site_codes=[form.site.data] if form.site.data else [],
                municipality=(form.municipality.data or None)
                if form.role.data == "coordinator"
                else None,
            )
        except DomainError as exc:
            fields = {"email": "email", "password": "password", "site": "site"}
            fields.update({"municipality": "municipality", "role": "role"})
            flash(show_domain_error(form, exc, fields), "error")
            status = 403 if exc.status == 403 else 422
        else:
            flash(_("%(name)s er opprettet.", name=user.name), "success")
            return redirect(url_for("web_users.index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "users/index.html",
        users=accounts,
        managed={u.id for u in accounts if users.manages(actor, u)},
        form=form,
        confirm=ConfirmForm(formdata=None),
    ), status


@bp.post("/brukere/<int:user_id>/deaktiver")
@login_required
def deactivate(user_id: int):
    """Deactivate an account you manage; its sessions end at once."""
    user = users.set_active(current_actor(), _email(user_id), False)
    flash(_("%(name)s er deaktivert og logget ut.", name=user.name), "success")
    return redirect(url_for("web_users.index"))


@bp.post("/brukere/<int:user_id>/aktiver")
@login_required
def activate(user_id: int):
    user = users.set_active(current_actor(), _email(user_id), True)
    flash(_("%(name)s er aktivert.", name=user.name), "success")
    return redirect(url_for("web_users.index"))


@bp.post("/brukere/<int:user_id>/logg-ut")
@login_required
def end_sessions(user_id: int):
    """Log a user you manage out on every device."""
    user = users.end_all_sessions(current_actor(), _email(user_id))
    flash(_("%(name)s er logget ut på alle enheter.", name=user.name), "success")
    return redirect(url_for("web_users.index"))


@bp.post("/brukere/<int:user_id>/passordlenke")
@login_required
def reset_link(user_id: int):
    """A one-time link for a new password, shown on this page only (never stored raw)."""
    reset, raw = password_resets.create_reset(current_actor(), user_id)
    return render_template(
        "users/reset_link.html",
        user=reset.user,
        url=url_for("auth.reset_password", token=raw, _external=True),
        expires_at=reset.expires_at,
    )


@bp.route("/brukere/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    """Change an account you manage: name, role, municipality and its role at each site."""
    actor = current_actor()
    user = users.read_user(actor, user_id)  # 403 unless the actor manages the account
    choices = sites.list_sites(actor)
    form = EditUserForm(obj=user)
    form.global_role.choices = [
        SelectChoice("", _l("ingen (bare stedene under)")),
        SelectChoice("coordinator", _l("koordinator")),
    ] + ([SelectChoice("admin", _l("administrator"))] if actor.is_admin else [])
    form.municipality.choices = _municipality_choices(actor)
    if not form.is_submitted():
        form.global_role.data = user.global_role or ""
        form.municipality.data = user.municipality.number if user.municipality else ""
    held = {m.site.code: m.role for m in user.memberships}
    status = 200
    if form.validate_on_submit():
        wanted = {s.code: request.form.get(f"site_{s.code}", "") for s in choices}
        role = form.global_role.data or None
        changes = {
            "name": form.name.data,
            "global_role": role,
            "municipality": (form.municipality.data or None) if role == "coordinator" else None,
            "memberships": [
                {"site": code, "role": site_role} for code, site_role in wanted.items() if site_role
            ],
        }
        try:
            user = users.update_user(actor, user_id, changes)
        except DomainError as exc:
            flash(
                show_domain_error(form, exc, {"name": "name", "global_role": "global_role"}),
                "error",
            )
            status = exc.status
            held = wanted
        else:
            flash(_("%(name)s er lagret.", name=user.name), "success")
            return redirect(url_for("web_users.index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "users/edit.html",
        user=user,
        form=form,
        sites=choices,
        held=held,
        site_roles=SITE_ROLE_CHOICES,
    ), status


def _email(user_id: int) -> str:
    return users.email_of(user_id)
