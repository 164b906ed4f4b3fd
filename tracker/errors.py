"""Domain exceptions, mapped once to problem+json for the API and to flash messages for pages."""

from __future__ import annotations

import http
from typing import Any

from flask import Response, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from tracker.national_id import redact_national_ids
from tracker.schemas.common import ProblemSchema

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A rule was broken; status and title say how, detail says why, errors say where."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, errors: dict[str, Any] | None = None) -> None:
        if isinstance(detail, str):  # pages, flashes and the CLI show it as it is
            detail = redact_national_ids(detail)
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class ValidationError(DomainError):
    status, title, slug = 422, "Invalid input", "invalid-input"


class LotLooksLikeNationalId(ValidationError):
    """A new lot number validates as a national ID number: a site lead confirms it is on the box."""

    title, slug = "Lot number looks like a national ID number", "lot-looks-like-national-id"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Unauthorized(DomainError):
    status, title, slug = 401, "Not authenticated", "unauthorized"


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(DomainError):
    """The client's If-Match names a version of the row that is no longer the current one."""

    status, title, slug = 412, "Precondition failed", "precondition-failed"


class StockError(Conflict):
    """Stock would go below zero where that is refused (transfers, discards)."""

    title, slug = "Not enough stock", "insufficient-stock"


class ServiceUnavailable(DomainError):
    status, title, slug = 503, "Service unavailable", "unavailable"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: dict[str, Any] | None = None,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build one application/problem+json response (never echoing a national ID number)."""
    body: dict[str, Any] = {
        "type": f"/problems/{slug or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    # Mask anything that validates as a national ID (e.g. sent as an unknown field name),
    # before JSON escapes its spaces and newlines.
    response = Response(json.dumps(_redacted(body)), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _redacted(value: Any) -> Any:
    """The body with national ID numbers masked in every text, dictionary keys included."""
    if isinstance(value, str):
        return redact_national_ids(value)
    if isinstance(value, dict):
        return {_redacted(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def domain_problem(exc: DomainError) -> Response:
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return problem(exc.status, exc.title, exc.detail, exc.errors, exc.slug, headers)


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ('json', 'query'); clients want the fields."""
    locations = {"json", "query", "headers", "form", "files"}
    if isinstance(messages, dict) and set(messages) <= locations:
        merged: dict[str, Any] = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return messages if isinstance(messages, dict) else {"_schema": messages}


def http_problem(exc: HTTPException) -> Response:
    """Any werkzeug HTTP error as problem+json, keeping headers such as Allow."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = _flatten_messages(data["messages"]) if "messages" in data else None
    detail = exc.description if isinstance(exc.description, str) else None
    if status == 422 and errors:
        detail = "The request has invalid fields: " + ", ".join(sorted(map(str, errors)))
    response = problem(status, exc.name, detail, errors)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    allowed = getattr(exc, "valid_methods", None)  # only MethodNotAllowed has them
    if status == 405 and "Allow" not in response.headers and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


class ProblemApi(Api):
    """flask-smorest Api whose errors are problem+json (and 405 keeps its Allow header)."""

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return http_problem(error)

    def _register_pagination_header(self) -> None:
        """X-Pagination is a JSON text in a header: declare it as the string it is."""
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata as JSON: total, total_pages, first_page, "
                "last_page, page, previous_page, next_page",
                "schema": {"type": "string"},
            },
            lazy=True,
        )

    def _register_responses(self) -> None:
        """Declare every error response in the document as problem+json with its schema."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as application/problem+json", "schema": ProblemSchema}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Any) -> None:
    """One mapping for the whole app: problem+json under /api, the usual pages elsewhere."""
    import logging

    from flask import render_template, render_template_string, session
    from flask_babel import force_locale, gettext
    from markupsafe import escape
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    log = logging.getLogger("tracker")

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        if wants_problem_json():
            return domain_problem(exc)
        if exc.status == 503:
            # Plain markup, no template context, and a locale chosen without the user's own
            # setting (that is read from the database): it must render when the database is down.
            chosen = request.args.get("lang") or session.get("locale")
            with force_locale(chosen if chosen in ("nb", "en") else "nb"):
                title = escape(gettext("Tjenesten er midlertidig utilgjengelig"))
                detail = escape(gettext("Databasen svarer ikke akkurat nå. Prøv igjen om litt."))
            page = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{detail}</p>"
            return page, exc.status, {"Retry-After": "5"}
        return _page(exc.status, exc.detail), exc.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        if wants_problem_json():
            return http_problem(exc)
        if exc.code in (400, 403, 404, 405, 409, 413, 422):
            return _page(exc.code or 500, None), exc.code
        return exc

    def _page(status: int, detail: str | None) -> str:
        """The site's own error page (templates/error.html), falling back to a bare one."""
        try:
            return render_template("error.html", status=status, detail=detail)
        except Exception:  # noqa: BLE001 - an error page must never fail
            return render_template_string(
                "<!doctype html><title>{{ s }}</title><h1>{{ s }}</h1><p>{{ d }}</p>",
                s=status,
                d=detail or "",
            )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: Exception):  # type: ignore[no-untyped-def]
        """A lost or locked database is a 503 with Retry-After, never a 500 or a hang."""
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        return _domain(ServiceUnavailable("The database is not reachable right now; try again."))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return _database_down(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_problem_json():
            return problem(500, "Internal Server Error", "Something went wrong on our side.")
        return "Noe gikk galt. Prøv igjen.", 500


class TooManyAttempts(DomainError):
    """Too many failed logins for an account or address; try again after retry_after s."""

    status, title, slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
