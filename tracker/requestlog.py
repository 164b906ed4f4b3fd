"""Structured request logs: one JSON line per request on stdout, with a request id; never a body.

The id comes from a well-formed incoming X-Request-Id (a proxy's) or is made here, and is
sent back in X-Request-Id so a user's report can be matched to the log line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request
from sqlalchemy import inspect

log = logging.getLogger("tracker.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_SITE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,31}$")


def request_id() -> str:
    """The current request's id (made on first use)."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _user_id(user: object) -> int | None:
    """The user's primary key from the identity map: no query, even after a rollback."""
    state = inspect(user, raiseerr=False)
    identity = state.identity if state is not None else None
    return identity[0] if identity else None


def _who() -> tuple[int | None, int | None]:
    """The user id (token or session) and token id, without touching the database."""
    actor = g.get("actor")
    if actor is not None:
        return _user_id(actor.user), actor.token_id
    user = g.get("_login_user")  # set only if flask-login loaded a user for this request
    if user is not None and getattr(user, "is_authenticated", False):
        return _user_id(user), None
    return None, None


def _site() -> str | None:
    """The site code the request names in its URL, query or JSON body (only that key)."""
    view_args = request.view_args or {}
    site = view_args.get("code") if request.blueprint == "sites" else None
    site = site or request.args.get("site") or _body_site()
    return site if isinstance(site, str) and _SITE_CODE.match(site) else None


def _body_site() -> object:
    limit = request.max_content_length
    if not request.is_json or not request.content_length:
        return None
    if limit is not None and request.content_length > limit:
        return None
    try:
        body = request.get_json(silent=True)  # already parsed by the view: no second read
    except Exception:  # noqa: BLE001 - logging must never fail a request
        return None
    return body.get("site") if isinstance(body, dict) else None


def _logged_path() -> str:
    """The path, without a one-time password link's secret (anyone reading the log could
    otherwise use the link before its owner)."""
    secret = (request.view_args or {}).get("token")
    if isinstance(secret, str) and secret:
        return request.path.replace(secret, "[secret]")
    return request.path


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = request_id()
    started = g.get("request_started")
    user_id, token_id = _who()
    record = {
        "event": "request",
        "request_id": request_id(),
        "method": request.method,
        "path": _logged_path(),
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "user_id": user_id,
        "token_id": token_id,
        "site": _site(),
        "remote_addr": request.remote_addr,
    }
    log.info(json.dumps(record, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    if not app.testing and not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
