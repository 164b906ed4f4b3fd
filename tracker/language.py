"""The language of a request: bokmål unless the user or the API client asks for English."""

from __future__ import annotations

from flask import has_request_context, request, session

LOCALES = ("nb", "en")


def request_locale() -> str:
    """The language chosen without the database: ?lang=, the header switch, then the default.

    Pages default to bokmål whatever the browser says (phones are often set to English);
    API clients (paths under /api/) get English only when Accept-Language prefers it.
    """
    if not has_request_context():
        return "nb"  # the CLI, the import and service calls outside a request
    if request.args.get("lang") in LOCALES:
        return request.args["lang"]
    if session.get("locale") in LOCALES:
        return session["locale"]
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(("nb", "no", "nn", "en"))
        return "en" if best == "en" else "nb"
    return "nb"
