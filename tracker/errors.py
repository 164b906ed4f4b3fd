"""Domain exceptions, mapped once to problem+json for the API and to flash messages for pages."""

from __future__ import annotations

import contextlib
import http
import re
from typing import Any

from flask import Response, current_app, json, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from tracker.language import request_locale
from tracker.national_id import redact_national_ids
from tracker.schemas.common import ProblemSchema

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A rule was broken; status and title say how, detail says why, errors say where.

    `detail` and the messages in `errors` are bokmål msgids marked with `_l` (with
    %(name)s parameters); they are rendered in the request's language when read, so one
    exception reads bokmål on a bokmål page and English for an English API client.
    `code` is an optional finer machine code than the `type` slug (e.g. "lot-required").
    """

    status = 400
    title: Any = _l("Ugyldig forespørsel")
    slug = "bad-request"

    def __init__(
        self, detail: Any, errors: dict[str, Any] | None = None, code: str | None = None
    ) -> None:
        super().__init__(detail)
        self.message = detail
        self.field_messages = errors or {}
        self.code = code

    @property
    def detail(self) -> str:
        """The message in the current language (pages, flashes and the CLI show it as it is)."""
        return redact_national_ids(str(self.message))

    @property
    def errors(self) -> dict[str, Any]:
        """The field messages in the current language."""
        return localized(self.field_messages)

    def __str__(self) -> str:
        return self.detail


class ValidationError(DomainError):
    status, title, slug = 422, _l("Ugyldige opplysninger"), "invalid-input"


class LotLooksLikeNationalId(ValidationError):
    """A new lot number validates as a national ID number: a site lead confirms it is on the box."""

    title, slug = _l("Partinummeret ser ut som et fødselsnummer"), "lot-looks-like-national-id"


class LotExpiredOnReceipt(ValidationError):
    """A lot received after its expiry date: sent again with confirm_expired (to be discarded)."""

    title, slug = _l("Partiet er allerede utløpt"), "lot-expired-on-receipt"


class NotFound(DomainError):
    status, title, slug = 404, _l("Finnes ikke"), "not-found"


class Unauthorized(DomainError):
    status, title, slug = 401, _l("Ikke innlogget"), "unauthorized"


class Forbidden(DomainError):
    status, title, slug = 403, _l("Ingen tilgang"), "forbidden"


class Conflict(DomainError):
    status, title, slug = 409, _l("Kan ikke gjøres nå"), "conflict"


class PeriodLocked(Conflict):
    """The entry's date lies in a period that has been submitted and not reopened."""

    title, slug = _l("Perioden er sendt inn"), "period-submitted"


class PreconditionFailed(DomainError):
    """The client's If-Match names a version of the row that is no longer the current one."""

    status, title, slug = 412, _l("Utdatert versjon"), "precondition-failed"


class StockError(Conflict):
    """Stock would go below zero where that is refused (transfers, discards)."""

    title, slug = _l("Ikke nok på lager"), "insufficient-stock"


class ServiceUnavailable(DomainError):
    status, title, slug = 503, _l("Tjenesten er midlertidig utilgjengelig"), "unavailable"


def localized(value: Any) -> Any:
    """Render lazy messages (also inside dicts and lists) in the current language."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dict):
        return {key: localized(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localized(item) for item in value]
    return value


# Title and detail of each HTTP error, for pages and for problem+json alike.
STATUS_TEXTS: dict[int, tuple[Any, Any]] = {
    400: (_l("Ugyldig forespørsel"), _l("Forespørselen kunne ikke leses. Prøv igjen.")),
    401: (_l("Ikke innlogget"), _l("Logg inn for å fortsette.")),
    403: (_l("Ingen tilgang"), _l("Du har ikke tilgang til dette.")),
    404: (_l("Fant ikke siden"), _l("Adressen finnes ikke. Sjekk at den er skrevet riktig.")),
    405: (_l("Ikke tillatt"), _l("Adressen tar ikke imot denne typen forespørsel.")),
    406: (_l("Kan ikke svare i dette formatet"), _l("Be om et format som tjenesten kan gi.")),
    409: (_l("Kan ikke gjøres nå"), _l("Det strider mot det som er lagret. Last siden på nytt.")),
    412: (_l("Utdatert versjon"), _l("Raden er endret siden du hentet den. Hent den på nytt.")),
    413: (_l("For mye data"), _l("Filen eller skjemaet er for stort.")),
    415: (_l("Feil innholdstype"), _l("Send innholdet som JSON.")),
    422: (_l("Ugyldige opplysninger"), _l("Noen opplysninger er ugyldige.")),
    428: (_l("Mangler forutsetning"), _l("Forespørselen må si hvilken versjon den endrer.")),
    429: (_l("For mange forsøk"), _l("For mange forsøk på kort tid. Vent litt og prøv igjen.")),
    500: (_l("Noe gikk galt"), _l("Noe gikk galt hos oss. Prøv igjen.")),
    503: (
        _l("Tjenesten er midlertidig utilgjengelig"),
        _l("Databasen svarer ikke akkurat nå. Prøv igjen om litt."),
    ),
}


def status_texts(status: int) -> tuple[str, str]:
    """The translated title and detail for an HTTP status."""
    title, detail = STATUS_TEXTS.get(status, (_l("Feil"), _l("Noe gikk galt. Prøv igjen.")))
    return str(title), str(detail)


def problem(
    status: int,
    title: Any,
    detail: Any = None,
    errors: dict[str, Any] | None = None,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    """Build one application/problem+json response (never echoing a national ID number)."""
    body: dict[str, Any] = {
        "type": f"/problems/{slug or str(title).lower().replace(' ', '-')}",
        "title": str(title),
        "status": status,
        "detail": str(detail or title),
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = localized(errors)
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
    return problem(exc.status, exc.title, exc.detail, exc.errors, exc.slug, headers, exc.code)


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


# marshmallow's and webargs' English field messages, as bokmål msgids ({x} becomes %(x)s).
_FIELD_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(pattern), text)
    for pattern, text in [
        (r"Missing data for required field\.", _l("Må fylles ut.")),
        (r"Field may not be null\.", _l("Må ha en verdi.")),
        (r"Unknown field\.", _l("Ukjent felt.")),
        (r"Not a valid integer\.", _l("Ikke et gyldig heltall.")),
        (r"Not a valid number\.", _l("Ikke et gyldig tall.")),
        (r"Not a valid string\.", _l("Ikke gyldig tekst.")),
        (r"Not a valid boolean\.", _l("Ikke en gyldig sannhetsverdi (true eller false).")),
        (r"Not a valid date\.", _l("Ikke en gyldig dato (åååå-mm-dd).")),
        (r"Not a valid datetime\.", _l("Ikke et gyldig tidspunkt.")),
        (r"Not a valid list\.", _l("Ikke en gyldig liste.")),
        (r"Not a valid mapping type\.", _l("Ikke et gyldig objekt.")),
        (r"Not a valid email address\.", _l("Ikke en gyldig e-postadresse.")),
        (r"Invalid input type\.", _l("Ugyldig type.")),
        (r"Invalid (value|input)\.", _l("Ugyldig verdi.")),
        (r"Invalid type\.", _l("Ugyldig type.")),
        (r"Number too large\.", _l("Tallet er for stort.")),
        (
            r"Special numeric values \(nan or infinity\) are not permitted\.",
            _l("Tallverdiene nan og uendelig er ikke tillatt."),
        ),
        (
            r"Must be greater than or equal to (?P<min>.+) and less than or equal to (?P<max>.+)\.",
            _l("Må være fra %(min)s til %(max)s."),
        ),
        (r"Must be greater than or equal to (?P<min>.+)\.", _l("Må være minst %(min)s.")),
        (r"Must be less than or equal to (?P<max>.+)\.", _l("Må være høyst %(max)s.")),
        (r"Must be greater than (?P<min>.+)\.", _l("Må være over %(min)s.")),
        (r"Must be less than (?P<max>.+)\.", _l("Må være under %(max)s.")),
        (r"Shorter than minimum length (?P<min>.+)\.", _l("Kortere enn %(min)s tegn.")),
        (r"Longer than maximum length (?P<max>.+)\.", _l("Lengre enn %(max)s tegn.")),
        (
            r"Length must be between (?P<min>.+) and (?P<max>.+)\.",
            _l("Lengden må være fra %(min)s til %(max)s."),
        ),
        (r"Length must be (?P<equal>.+)\.", _l("Lengden må være %(equal)s.")),
        (r"Must be one of: (?P<choices>.+)\.", _l("Må være en av: %(choices)s.")),
        (r"String does not match expected pattern\.", _l("Har ikke riktig form.")),
        (r".* cannot be formatted as a date\.", _l("Ikke en gyldig dato (åååå-mm-dd).")),
    ]
]


def field_message(message: Any) -> Any:
    """One field message in the current language (marshmallow's own English included)."""
    if isinstance(message, dict):
        return {key: field_message(value) for key, value in message.items()}
    if isinstance(message, list | tuple):
        return [field_message(value) for value in message]
    if isinstance(message, str):
        for pattern, text in _FIELD_MESSAGES:
            found = pattern.fullmatch(message)
            if found:
                return str(text) % found.groupdict() if found.groupdict() else str(text)
    return localized(message)


def http_problem(exc: HTTPException) -> Response:
    """Any werkzeug HTTP error as problem+json, keeping headers such as Allow."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = field_message(_flatten_messages(data["messages"])) if "messages" in data else None
    title, detail = status_texts(status)
    if isinstance(exc.description, LazyString):
        detail = str(exc.description)
    if status == 422 and errors:
        detail = _("Ugyldige felt: %(fields)s.", fields=", ".join(sorted(map(str, errors))))
    slug = (exc.name or "error").lower().replace(" ", "-")
    response = problem(status, title, detail, errors, slug)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    allowed = getattr(exc, "valid_methods", None)  # only MethodNotAllowed has them
    if status == 405 and "Allow" not in response.headers and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


class ProblemApi(Api):
    """flask-smorest Api whose errors are problem+json under /api and pages elsewhere.

    Its handler is the app's one for every HTTPException (it is registered last), so it
    hands pages to the same mapping as the rest (and 405 keeps its Allow header).
    """

    def handle_http_exception(self, error: HTTPException) -> Any:  # type: ignore[override]
        return http_error(error)

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
    """API clients get problem+json; a browser (asking for HTML first) gets a page."""
    if not request.path.startswith("/api/"):
        return False
    offered = [PROBLEM_JSON, "application/json", "text/html"]
    return request.accept_mimetypes.best_match(offered, PROBLEM_JSON) != "text/html"


def _back_link() -> str | None:
    """The page the user came from, if it is on this site."""
    referrer = request.referrer or ""
    same_site = referrer.startswith(request.host_url) and referrer != request.url
    return referrer if same_site else None


def error_page(status: int, detail: Any = None, headers: Any = ()) -> Response:
    """The page for an error, in the user's language, with a way back.

    500 and 503 use a page that needs neither the database nor the signed-in user.
    """
    from flask import render_template
    from flask_babel import force_locale

    context: dict[str, Any] = {"status": status, "back": _back_link()}
    page = None
    if status not in (500, 503):
        # An error page must never fail: on any trouble (the user's locale is read from the
        # database), the plain one.
        with contextlib.suppress(Exception):
            title, default = status_texts(status)
            context.update(title=title, detail=detail or default)
            page = render_template("error.html", **context)
    if page is None:
        lang = request_locale()
        with force_locale(lang):
            title, default = status_texts(status)
            shown = redact_national_ids(str(detail or default))
            context.update(title=title, detail=shown, lang=lang)
            # Straight from the environment: context processors would load the user.
            page = current_app.jinja_env.get_template("error_plain.html").render(**context)
    response = Response(page, status=status, mimetype="text/html")
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def http_error(exc: HTTPException) -> Any:
    """Any HTTP error: problem+json for API clients, the error page for people."""
    if wants_problem_json():
        return http_problem(exc)
    if exc.code is None or exc.code < 400:
        return exc
    detail = exc.description if isinstance(exc.description, LazyString) else None
    headers = list(exc.get_headers())
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers.append(("Allow", ", ".join(exc.valid_methods)))
    return error_page(exc.code, detail, headers)


def init_app(app: Any) -> None:
    """One mapping for the whole app: problem+json under /api, the usual pages elsewhere."""
    import logging

    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    log = logging.getLogger("tracker")

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        if wants_problem_json():
            return domain_problem(exc)
        # 503: rendered later under a locale chosen without the database (see error_page).
        return error_page(exc.status, exc.message if exc.status == 503 else exc.detail)

    app.register_error_handler(HTTPException, http_error)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: Exception):  # type: ignore[no-untyped-def]
        """A lost or locked database is a 503 with Retry-After, never a 500 or a hang."""
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        return _domain(ServiceUnavailable(STATUS_TEXTS[503][1]))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return _database_down(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_problem_json():
            title, detail = status_texts(500)
            return problem(500, title, detail, slug="internal-server-error")
        return error_page(500)


class TooManyAttempts(DomainError):
    """Too many failed logins for an account or address; try again after retry_after s."""

    status, title, slug = 429, _l("For mange forsøk"), "too-many-requests"

    def __init__(self, detail: Any, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
