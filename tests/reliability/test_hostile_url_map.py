"""Every route in the URL map, given hostile ids, text and JSON, answers without a 5xx.

For each rule: each parameter in turn gets an id out of range (0, -1, 2**31, 2**63), text
with NUL or another control character, or a long string, while the others name real
objects; GETs carry hostile query arguments; write methods (as an admin, by bearer token
for the API and by session for the pages) carry hostile JSON or form fields: NUL strings,
10 000-deep nesting, 5 000-digit and beyond-64-bit integers. Run on PostgreSQL too: NUL
and int32 overflows are 500s only there.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask import Flask

from tests.factories import login, make_token, make_world
from tracker import config, create_app
from tracker.dates import today
from tracker.extensions import db

IDS = ["0", "-1", str(2**31), str(2**63), "1²", "١٢"]
TEXTS = ["a\x00b", "\x00", "bell\x07", "x" * 3000, "9" * 5000]
NUMBERS = [str(2**31), str(2**63), "9" * 5000, "-1", "1²"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BIG = 2**63 + 1
JSON_BODIES = [
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    '{"site": "OSL-MO", "quantity": ' + "9" * 5000 + "}",
    '{"site": "OSL-MO", "date": "' + today().isoformat() + '", "note": "a\\u0000b", '
    '"lines": [{"item": "SPR-2", "quantity": 1, "lot": "\\u0000"}], "reason": "\\u0000"}',
    '{"site": "OSL\\u0000", "code": "\\u0000", "name": "\\ud800", "from": "\\u0000"}',
    '{"site": "OSL-MO", "date": "' + today().isoformat() + f'", "contacts": {BIG}, '
    f'"quantity": {BIG}, "lines": [{{"item": "SPR-2", "quantity": {BIG}, "line_id": {BIG}}}], '
    f'"reorder_level": {BIG}, "target_level": {BIG}, "sort_order": {BIG}, '
    f'"participants": {{"pwud": {BIG}}}, "duration_minutes": {BIG}}}',
    "[]",
    "null",
    '"\\u0000"',
]
QUERY_NAMES = [
    "kvittering", "id", "site", "sted", "item", "kind", "status", "dato", "fra", "til",
    "from", "to", "date", "page", "page_size", "days", "by", "municipality", "kommune",
    "user", "entity", "type", "lang", "sprak", "neste", "next", "periode", "inndeling",
]  # fmt: skip
FORM_NAMES = [
    "csrf_token", "form_key", "entry_date", "date", "contacts", "note", "quantity", "lot",
    "item", "site", "reason", "email", "name", "role", "password", "lang", "neste",
    "recipient_group", "first_time", "refill_reason", "from_site", "to_site", "type",
    "held_on", "duration_minutes", "trainer", "pwud", "relative", "staff", "other",
    "file_hash", "filename", "kind", "item_1", "received-1", "q|SPR-2|", "resolution",
]  # fmt: skip

# The rules are read from an app built for collection; the requests go to the test app.
RULES = sorted(
    (rule for rule in create_app(config.TestConfig("sqlite://")).url_map.iter_rules()),
    key=lambda rule: (rule.rule, rule.endpoint),
)


@pytest.fixture
def world(app: Flask, client):
    """One site with a tally, stock, a transfer, a count and a training session."""
    admin, values = make_world()
    values["filename"] = "app.css"
    return {"admin": admin, "token": make_token(admin), "values": values}


def _urls(rule, values: dict) -> list[str]:
    """The rule's path with each parameter in turn hostile, the others real."""

    def path(hostile: dict[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(2)
            return quote(str(hostile.get(name, values.get(name, "1"))), safe="")

        return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", fill, rule.rule)

    urls = [path({})]
    for name in rule.arguments:
        urls += [path({name: value}) for value in (*IDS, *TEXTS)]
    return urls


def _field_names(client, url: str) -> list[str]:
    """The names of the inputs on the page's forms (item boxes, received-<line> ...)."""
    response = client.get(url)
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', response.get_data(True))
    response.close()
    db.session.rollback()
    return names


def _check(response, what: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {what}")
    response.close()  # a streamed file (a saved workbook) is closed here, not by the GC
    db.session.rollback()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.endpoint}:{rule.rule}")
def test_no_route_answers_hostile_input_with_a_5xx(app, client, world, rule, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    api = rule.rule.startswith("/api/")
    headers = {"Authorization": f"Bearer {world['token']}"} if api else {}
    if not api:
        login(client, world["admin"])
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    failures: list[str] = []
    urls = _urls(rule, world["values"])
    for url in urls:
        for method in methods:
            if method == "GET" or url != urls[0]:
                response = client.open(url, method=method, headers=headers)
                _check(response, f"{method} {url[:120]}", failures)
    if "GET" in methods:
        for value in (*NUMBERS, *TEXTS):
            query = dict.fromkeys(QUERY_NAMES, value)
            response = client.get(urls[0], query_string=query, headers=headers)
            _check(response, f"GET {urls[0]}?...={value[:20]!r}", failures)
    for method in (m for m in methods if m in WRITE_METHODS):
        if api:
            for body in JSON_BODIES:
                response = client.open(
                    urls[0], method=method, data=body,
                    headers={**headers, "Content-Type": "application/json",
                             "Idempotency-Key": "k\x00"[: 1 + (body == "[]")]},
                )  # fmt: skip
                _check(response, f"{method} {urls[0]} json {body[:60]!r}", failures)
        else:
            names = FORM_NAMES + _field_names(client, urls[0]) if "GET" in methods else FORM_NAMES
            for value in (*NUMBERS, *TEXTS):
                form = dict.fromkeys(names, value)
                response = client.open(urls[0], method=method, data=form)
                _check(response, f"{method} {urls[0]} form {value[:20]!r}", failures)
    assert failures == []
