"""Security headers on every response (OWASP ASVS baseline from STACK.md)."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "worker-src 'self'; manifest-src 'self'"
)


# The shared static files (CSS, JS, icons) may be cached; nothing else may be.
CACHEABLE_ENDPOINTS = {"web.static"}


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        # Outlet PCs are shared: a logged-in page, an export or an API answer must not stay in
        # the browser's cache for the next person (the back button, "save page", the disk).
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies > 0:
        # Behind n proxies every client would share the proxy's address: take the client's
        # from the n trusted X-Forwarded-For entries (and the scheme from X-Forwarded-Proto).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.after_request(_headers)
