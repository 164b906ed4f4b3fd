"""Helpers for page tests: read the CSRF token and form key off a page, post a form."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def hidden(html: str, name: str) -> str:
    """The value of a hidden input, whatever the attribute order."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            if match:
                return match.group(1)
    raise AssertionError(f"no hidden input {name!r} on the page")


def form_post(client: FlaskClient, url: str, data: dict[str, str], page_url: str | None = None):
    """GET the page, then POST the form with its CSRF token (and form key, if any)."""
    html = client.get(page_url or url).get_data(as_text=True)
    body = {"csrf_token": hidden(html, "csrf_token")}
    if 'name="form_key"' in html:
        body["form_key"] = hidden(html, "form_key")
    body.update(data)
    return client.post(url, data=body)


# The scripts every staff page carries: the offline queue's file and its translated texts
# (a JSON data block, never run).
APP_SCRIPTS = (
    '<script src="/static/offline.js" defer></script>',
    '<script id="offline-texts" type="application/json">',
)


def inline_scripts(html: str) -> list[str]:
    """The <script> tags that are neither the app's own files nor a JSON data block."""
    return [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if not re.search(r'\bsrc="/static/[\w.-]+\.js"', tag)
        and 'type="application/json"' not in tag
    ]
