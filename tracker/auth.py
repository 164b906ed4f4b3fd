"""Session login (flask-login) and the UI language (flask-babel) for the web pages."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.database import read_phase
from tracker.errors import ServiceUnavailable
from tracker.extensions import babel, login_manager
from tracker.language import LOCALES, request_locale
from tracker.models import User
from tracker.services import sessions

# The key of this browser's server-side session (services/sessions.py), in the signed cookie.
SESSION_KEY = "sid"


def select_locale() -> str:
    """The ?lang= of the request, the switch in the header, the user's setting, then bokmål."""
    if not has_request_context():
        return "nb"
    explicit = request.args.get("lang") in LOCALES or session.get("locale") in LOCALES
    if explicit or request.path.startswith("/api/"):
        return request_locale()
    signed_in = current_user and getattr(current_user, "is_authenticated", False)
    if signed_in and current_user.locale in LOCALES:
        return current_user.locale
    return request_locale()


def load_user(identity: str) -> User | None:
    """flask-login's loader: the user of this browser's session if that session is live."""
    max_age = current_app.permanent_session_lifetime
    with read_phase():
        found = sessions.find(identity, session.get(SESSION_KEY), max_age)
    if found is None:
        return None
    user, due = found
    if due is not None:
        with contextlib.suppress(ServiceUnavailable):  # only a last-seen time; next request
            sessions.touch(due)
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Logg inn for å åpne siden.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    babel.init_app(app, locale_selector=select_locale, default_timezone="Europe/Oslo")
    app.jinja_env.globals["get_locale"] = get_locale
