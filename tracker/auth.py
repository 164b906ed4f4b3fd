"""Session login (flask-login) and the UI language (flask-babel) for the web pages."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.extensions import babel, login_manager
from tracker.services import users

LOCALES = ("nb", "en")


def select_locale() -> str:
    """The ?lang= of the request, the switch in the header, the user's setting, then bokmål."""
    chosen = None
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale:
        chosen = current_user.locale
    chosen = session.get("locale") or chosen  # the switch in the page header wins
    if request.args.get("lang") in LOCALES:
        chosen = request.args["lang"]
    return chosen if chosen in LOCALES else "nb"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Logg inn for å åpne siden.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(users.load_session_user)
    babel.init_app(app, locale_selector=select_locale, default_timezone="Europe/Oslo")
    app.jinja_env.globals["get_locale"] = get_locale
