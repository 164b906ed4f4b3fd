"""What every page module shares: the acting user and the page-level error handling."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from tracker.services.access import Actor


def current_actor() -> Actor:
    """The logged-in user as a service Actor (pages are behind login_required)."""
    if not current_user or not current_user.is_authenticated:
        abort(401)
    return Actor(current_user._get_current_object())
