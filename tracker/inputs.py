"""Input every request brings is bounded once, here, before any view sees it.

Ids in URLs are 32-bit (a plain 404 beyond), text never holds control characters (psycopg
refuses NUL; PostgreSQL and SQLite refuse lone surrogates), and JSON bodies are refused
before parsing when nested too deep or holding a number too large to be a quantity.
DESIGN.md invariant 6: bad input is a 400/404/422, never a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, ValidationError

from tracker.errors import DomainError
from tracker.errors import ValidationError as InvalidInput
from tracker.services.unit import MAX_ID, parse_id

MAX_JSON_DEPTH = 32
MAX_JSON_DIGITS = 19  # a signed 64-bit integer has at most 19 digits
# C0 and C1 control characters, DEL and lone surrogates; free text may keep tab, CR and LF.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The headers whose values a view reads (the others are only passed through or hashed).
READ_HEADERS = ("Idempotency-Key",)
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
# A JSON text can only hold a control character as DEL or C1 written raw (json.loads refuses
# raw C0) or as an escape: bodies without any of these need no walk through their strings.
_JSON_MAY_HOLD_CONTROL = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\\[bfu]")
CONTROL_MESSAGE = _l("Kontrolltegn (som NUL) er ikke tillatt.")


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids 1 to 2**31 - 1 in ASCII digits; others are a 404."""

    regex = r"[0-9]+"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        found = parse_id(value)
        if found is None:
            raise ValidationError()
        return found


class JSONLimitError(ValueError):
    """A JSON body refused before or while parsing; the message says why."""


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
        raise JSONLimitError(_l("Et tall i JSON er for stort."))
    return int(digits)


def check_json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Count brackets outside strings: cheap, and deep enough for every body we take."""
    if text.count("[") + text.count("{") <= limit:
        return  # too few brackets to nest too deep: the common case, at C speed
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                raise JSONLimitError(_l("JSON er nøstet for dypt."))
        elif bracket in ("]", "}"):
            depth -= 1


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing deep nesting and huge integers before they cost a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if isinstance(s, bytes):
            s = s.decode("utf-8")
        check_json_depth(s)
        kwargs.setdefault("parse_int", _bounded_int)
        return json.loads(s, **kwargs)


class TrackerRequest(Request):
    """Flask's request, saying why a JSON body was refused (Flask hides the reason)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, JSONLimitError):
            raise DomainError(e.args[0])
        if isinstance(e, ValueError):  # a syntax error or undecodable bytes
            raise DomainError(_l("Innholdet er ikke gyldig JSON."), {"json": [_l("Ugyldig JSON.")]})
        return super().on_json_loading_failed(e)


def _control_in_json(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the JSON strings (values or keys) holding control characters."""
    if isinstance(value, str):
        return [path or "json"] if _CONTROL_IN_TEXT.search(value) else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _CONTROL.search(key):
                found.append(path or "json")
            else:
                found += _control_in_json(inner, where)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _control_in_json(inner, f"{path}.{index}" if path else str(index))
    return found


def _refuse(where: str) -> DomainError:
    return DomainError(
        _l("Kontrolltegn (som NUL) er ikke tillatt. Funnet i: %(where)s.", where=where),
        {where: [CONTROL_MESSAGE]},
    )


def check_request() -> None:
    """Refuse control characters in the path, query, form, read headers and JSON strings."""
    if _CONTROL.search(request.path):
        raise _refuse("path")
    for name, value in request.args.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise _refuse(_CONTROL.sub("?", name))
    for header in READ_HEADERS:
        if _CONTROL.search(request.headers.get(header, "")):
            raise _refuse(header)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if _CONTROL.search(name) or _CONTROL_IN_TEXT.search(value):
                raise _refuse(_CONTROL.sub("?", name))
        for name, upload in request.files.items(multi=True):
            if _CONTROL.search(name) or _CONTROL.search(upload.filename or ""):
                raise _refuse(_CONTROL.sub("?", name))
    body = request.get_data(cache=True) if request.is_json else b""
    if body:
        data = request.get_json()  # bounded by BoundedJSONProvider; cached for the view
        found = _control_in_json(data)[:20] if _JSON_MAY_HOLD_CONTROL.search(body) else []
        if found:
            raise InvalidInput(
                _l(
                    "Kontrolltegn (som NUL) er ikke tillatt. Funnet i: %(where)s.",
                    where=", ".join(found),
                ),
                {where: [CONTROL_MESSAGE] for where in found},
            )


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: the id converter must be in place for its rules."""
    app.url_map.converters["int"] = IdConverter
    app.json = BoundedJSONProvider(app)
    app.request_class = TrackerRequest
    app.before_request(check_request)
