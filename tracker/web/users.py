"""User accounts for coordinators and admins: who has access where; deactivate, log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from tracker.errors import DomainError
from tracker.services import sites, users
from tracker.web.common import current_actor
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId

bp = Blueprint("web_users", __name__)


class NewUserForm(FlaskForm):
    """A site account (staff or site lead); coordinators and admins come from the CLI."""

    name = StringField(
        _l("Navn"),
        validators=[DataRequired(_l("Skriv navnet.")), Length(max=200), NoNationalId()],
    )
    email = EmailField(
        _l("E-post"),
        validators=[DataRequired(_l("Skriv e-postadressen.")), Length(max=254)],
    )
    role = SelectField(
        _l("Rolle"),
        choices=[SelectChoice("staff", _l("ansatt")), SelectChoice("lead", _l("stedsleder"))],
    )
    site = SelectField(_l("Sted"), choices=[])
    password = PasswordField(
        _l("Første passord (minst 10 tegn)"),
        validators=[
            DataRequired(_l("Skriv et passord.")),
            Length(min=users.MIN_PASSWORD, message=_l("Minst %(n)d tegn.", n=users.MIN_PASSWORD)),
        ],
    )


@bp.route("/brukere", methods=["GET", "POST"])
@login_required
def index():
    """Every account the coordinator or admin may manage, and a form for a new site account."""
    actor = current_actor()
    accounts = users.list_users(actor)  # 403 for anyone below coordinator
    form = NewUserForm()
    form.site.choices = [
        SelectChoice(site.code, f"{site.code} – {site.name}")
        for site in sites.list_sites(actor, active=True)
    ]
    status = 200
    if form.validate_on_submit():
        try:
            user = users.create_user(
                actor,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                site_codes=[form.site.data],
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, {"email": "email", "password": "password"}), "error")
            status = 422
        else:
            flash(_("%(name)s er opprettet.", name=user.name), "success")
            return redirect(url_for("web_users.index"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "users/index.html", users=accounts, is_admin=actor.is_admin, form=form
    ), status


@bp.post("/brukere/<int:user_id>/deaktiver")
@login_required
def deactivate(user_id: int):
    """Deactivate an account; its sessions end at once (admin)."""
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
    """Log a user out on every device (admin)."""
    user = users.end_all_sessions(current_actor(), _email(user_id))
    flash(_("%(name)s er logget ut på alle enheter.", name=user.name), "success")
    return redirect(url_for("web_users.index"))


def _email(user_id: int) -> str:
    return users.email_of(user_id)
