"""What every page module shares: the acting user and the page-level error handling."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from tracker.errors import Conflict
from tracker.services import users
from tracker.services.access import Actor
from tracker.services.unit import Idempotency, IdempotentReplay, find_idempotency, request_hash


def current_actor() -> Actor:
    """The logged-in user as a service Actor (pages are behind login_required)."""
    if not current_user or not current_user.is_authenticated:
        abort(401)
    return Actor(current_user._get_current_object())


def site_page(endpoint: str) -> WerkzeugResponse:
    """Open a per-site page at the user's remembered site, or ask which site first."""
    code = users.last_site_code(current_actor())
    if code is None:
        return redirect(url_for("web.home", neste=endpoint))
    return redirect(url_for(endpoint, code=code))


def new_form_key() -> str:
    """A one-time key for a form; posting it twice saves once (services/unit.py idempotency)."""
    return uuid.uuid4().hex


def valid_form_key(key: str | None) -> bool:
    return key is not None and len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def once(
    form_name: str,
    key: str,
    payload: dict[str, Any],
    call: Callable[[Idempotency], Any],
    changed: str | None = None,
) -> tuple[Any | None, dict[str, Any] | None]:
    """Run a form's service call once per form key.

    Returns (result, None) the first time and (None, stored) for a repeat: the stored body is
    what the first submit saved (its id), so the page can show that receipt instead. The same
    key with other values raises ChangedResubmit (with the `changed` message if given); the
    page offers a fresh form to save them.
    """
    scope = f"{current_actor().user_id}:web:{form_name}"
    stored = find_idempotency(scope, key)
    if stored is None:
        claim = Idempotency(
            scope, key, request_hash(payload), render=lambda result: (201, {"id": result.id})
        )
        try:
            return call(claim), None
        except IdempotentReplay:
            stored = find_idempotency(scope, key)
    assert stored is not None
    if stored.request_hash != request_hash(payload):
        raise ChangedResubmit(
            changed
            or _(
                "Dette skjemaet er allerede lagret, med andre tall. Sjekk kvitteringen eller "
                "historikken; trykk Lagre igjen for å lagre disse tallene som en ny registrering."
            )
        )
    return None, json.loads(stored.response_body)


class ChangedResubmit(Conflict):
    """A saved form sent again with other values (the back button): not saved a second time."""


def receipt_redirect(endpoint: str, code: str, day: Any, result: Any, stored: Any) -> Any:
    """After a keyed form saved (or was sent again): the page with the receipt of that save."""
    if stored is not None:
        flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
    saved_id = result.id if result is not None else (stored or {})["id"]
    return redirect(url_for(endpoint, code=code, dato=day.isoformat(), kvittering=saved_id))
