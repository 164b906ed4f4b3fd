"""What every API blueprint shares: bearer authentication, pagination, idempotent POSTs."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from flask import Response, g, json, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint, Page
from flask_wtf.csrf import validate_csrf
from marshmallow import Schema
from sqlalchemy import Select, func, select
from webargs.core import is_json, missing
from webargs.flaskparser import FlaskParser
from werkzeug.http import parse_etags
from wtforms.validators import ValidationError as CSRFValidationError

from tracker.database import read_phase, reads_first
from tracker.errors import (
    STATUS_TEXTS,
    DomainError,
    ServiceUnavailable,
    Unauthorized,
    ValidationError,
    domain_problem,
    problem,
)
from tracker.extensions import db
from tracker.privacy import check_free_text
from tracker.services import users
from tracker.services.access import Actor
from tracker.services.unit import Idempotency, IdempotentReplay, find_idempotency, request_hash

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _session_actor() -> Actor | Response | None:
    """The signed-in web user of this browser, for the offline queue's writes (issue 25).

    A cookie is sent by the browser on its own, so a write also needs the page's CSRF token
    in X-CSRFToken: another site can make the browser send the cookie, not read the token.
    None when there is no web session (then a bearer token is required).
    """
    if not getattr(current_user, "is_authenticated", False):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except CSRFValidationError:
        return problem(
            403,
            STATUS_TEXTS[403][0],
            _l("Skriving med innloggingen i nettleseren krever skjemaets CSRF-token."),
            slug="csrf",
            code="csrf",
        )
    return Actor(user=current_user._get_current_object())


def authenticate(files: bool = False, session_writes: bool = False) -> Response | None:
    """Every API request needs a valid bearer token; the actor goes on g.

    Bodies are JSON, or multipart/form-data on blueprints made with files=True (uploads).
    Blueprints made with session_writes=True also take the web session with a CSRF header
    on POST (the offline queue of the staff pages sends with it).
    """
    upload = files and request.mimetype == "multipart/form-data"
    if (
        request.method in BODY_METHODS
        and request.content_length
        and not (request.is_json or upload)
    ):
        return problem(
            415,
            STATUS_TEXTS[415][0],
            _l("Send innholdet som JSON med Content-Type: application/json."),
            slug="unsupported-media-type",
        )
    header = request.headers.get("Authorization", "")
    if session_writes and not header and request.method == "POST":
        by_session = _session_actor()
        if isinstance(by_session, Response):
            return by_session
        if by_session is not None:
            g.actor = by_session
            return None
    scheme, _, raw = header.partition(" ")
    with read_phase():
        found = users.authenticate_token(raw.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        response = domain_problem(
            Unauthorized(
                _l(
                    "Det trengs en gyldig API-nøkkel (Authorization: Bearer ...); den kan være "
                    "trukket tilbake eller utløpt."
                )
            )
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
        return response
    user, token = found
    if users.token_use_due(token):
        with contextlib.suppress(ServiceUnavailable):  # only a last-used time
            users.note_token_use(token.id)
    g.actor = Actor(user=user, token_id=token.id)
    return None


class ParsedJSONParser(FlaskParser):
    """webargs takes the body Flask parsed once, bounded (tracker.inputs), not a second parse."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json(req.mimetype) or not req.get_data(cache=True):
            return missing
        return req.get_json()


ARGUMENTS_PARSER = ParsedJSONParser()


def make_blueprint(
    name: str,
    import_name: str,
    url_prefix: str,
    description: str,
    *,
    files: bool = False,
    session_writes: bool = False,
) -> Blueprint:
    blp = Blueprint(name, import_name, url_prefix=f"/api/v1{url_prefix}", description=description)
    blp.ARGUMENTS_PARSER = ARGUMENTS_PARSER
    if files or session_writes:
        blp.before_request(functools.partial(authenticate, files, session_writes))
    else:
        blp.before_request(authenticate)
    return blp


def actor() -> Actor:
    return g.actor


MAX_OFFSET = 2**62


class SQLPage(Page):
    """Paginate a SQLAlchemy select with LIMIT/OFFSET and a COUNT."""

    @property
    def items(self) -> list[Any]:
        query: Select[Any] = self.collection
        if self.page_params.first_item > MAX_OFFSET:
            return []  # beyond any table; a huge page number must not overflow the driver
        return list(
            db.session.scalars(
                query.limit(self.page_params.page_size).offset(self.page_params.first_item)
            )
        )

    @property
    def item_count(self) -> int:
        query: Select[Any] = self.collection
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return db.session.execute(counted).scalar_one()


class RowPage(SQLPage):
    """Paginate a select of several columns: each item is a row mapping."""

    @property
    def items(self) -> list[Any]:
        query: Select[Any] = self.collection
        if self.page_params.first_item > MAX_OFFSET:
            return []
        page = query.limit(self.page_params.page_size).offset(self.page_params.first_item)
        return [dict(row) for row in db.session.execute(page).mappings()]


def _replay(stored: Any, payload_hash: str) -> Response:
    if stored.request_hash != payload_hash:
        return domain_problem(
            ValidationError(
                _l("Denne Idempotency-Key er brukt med et annet innhold."),
                {"Idempotency-Key": [_l("Brukt igjen med annet innhold.")]},
                code="idempotency-key-reused",
            )
        )
    response = Response(
        stored.response_body, status=stored.status_code, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(schema: Schema, status: int, call: Callable[[Idempotency | None], Any]) -> Any:
    """Run a POST once per Idempotency-Key; a retry gets the first response back."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return call(None)
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise DomainError(
            _l("Idempotency-Key må være 1–200 skrivbare tegn."),
            {"Idempotency-Key": [_l("Ugyldig.")]},
        )
    check_free_text("Idempotency-Key", key)  # it is stored: never a national ID number
    scope = f"{actor().user_id}:{request.method}:{request.path}"
    payload_hash = request_hash(
        {"body": request.get_json(silent=True), "query": request.args.to_dict(flat=False)}
    )
    with reads_first():  # on SQLite outside the write lock
        stored = find_idempotency(scope, key)
    if stored is not None:
        return _replay(stored, payload_hash)
    claim = Idempotency(
        scope,
        key,
        payload_hash,
        render=lambda result: (status, json.loads(json.dumps(schema.dump(result)))),
    )
    try:
        return call(claim)
    except IdempotentReplay:
        stored = find_idempotency(scope, key)
        assert stored is not None
        return _replay(stored, payload_hash)


def if_match_versions(header: str | None) -> set[int] | None:
    """The versions an If-Match header accepts; None when it is absent or '*' (any will do).

    If-Match compares strongly (RFC 9110): a weak tag, or one that is not a version
    number, matches nothing, so the change is refused with 412.
    """
    if header is None:
        return None
    tags = parse_etags(header)
    if tags.star_tag:
        return None
    return {
        int(tag)
        for tag in tags.as_set()
        if tag and tag.isascii() and tag.isdigit() and len(tag) < 12
    }


def etag(version: int) -> dict[str, str]:
    """The ETag header of a versioned row (its version, quoted)."""
    return {"ETag": f'"{version}"'}
