"""User accounts for coordinators and admins: who has access where; deactivate, log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker.services import users
from tracker.web.common import current_actor

bp = Blueprint("web_users", __name__)


@bp.get("/brukere")
@login_required
def index():
    """Every account the coordinator or admin may manage, with sites and roles."""
    actor = current_actor()
    return render_template(
        "users/index.html", users=users.list_users(actor), is_admin=actor.is_admin
    )


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
