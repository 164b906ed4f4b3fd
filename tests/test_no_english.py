"""Issue 17: every page, refusal and error reads bokmål by default and English on request.

(a) every msgid the code and templates hold (extracted now, as `make translations` does) has
an English translation; (b) no English text appears in a bokmål response: every GET rule of
the URL map as an admin with data behind it, and every error status page, is searched for the
English catalogue's phrases and for common English words. Then, per kind of refusal: the API
answers in the language of Accept-Language (bokmål by default), a refused web form in
bokmål, and in English after the switch.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy.exc import OperationalError
from werkzeug import exceptions

from tests.factories import (
    api_client,
    login,
    make_item,
    make_site,
    make_token,
    make_user,
    make_world,
    tally_body,
)
from tests.web.pages import form_post
from tracker import config, create_app
from tracker.dates import today
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.services import stock
from tracker.services.access import Actor

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tracker/translations/en/LC_MESSAGES/messages.po"
ENGLISH_WORDS = (
    " the ", "The ", " must ", " cannot ", " is not ", "Not a valid", "Missing data",
    "Unknown field", " needs ", " does not ", " already ", " should ", "Unknown ", "Please",
    " please ", " required", " not found", "Not Found", " with ", " is after ", " only ",
)  # fmt: skip
# Pages that are not for people in their language: the API's own documentation (English
# by design, like the code) and the static files.
NOT_PAGES = {"api-docs.openapi_json", "web.static", "static"}
STATUSES = (400, 403, 404, 405, 409, 413, 429, 500, 503)


def _english() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale="en") if m.id}


def _phrases() -> list[str]:
    """English fragments of the catalogue (between placeholders), of two words or more."""
    found = set()
    msgids = " ".join(m if isinstance(m, str) else " ".join(m) for m in _english())
    for msgid, text in _english().items():
        if not isinstance(msgid, str) or not isinstance(text, str) or text == msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]|%[sd]|[«»“”'\"()]", text):
            part = part.strip(" .,:;!?-–")
            if len(part) >= 12 and " " in part and part not in msgids:
                found.add(part)
    return sorted(found, key=len)


def _visible_text(body: str) -> str:
    """What a reader sees of a page: text and labels, without the English language switch."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", body, flags=re.S)
    labels = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', body)
    text = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(" ".join([text, *labels]))


def _strings(value: object) -> list[str]:
    """The strings of a JSON answer; fields named *_en are the English names by design."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if not str(k).endswith("_en") for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _text(response) -> str | None:
    """The readable text of a response, or None for files (workbooks, CSS)."""
    kind = response.mimetype or ""
    if kind == "text/html":
        return _visible_text(response.get_data(as_text=True))
    if kind.endswith("json"):
        return "\n".join(_strings(json.loads(response.get_data(as_text=True))))
    if kind in ("text/csv", "text/plain"):
        return response.get_data(as_text=True)
    return None


def english_in(text: str) -> list[str]:
    flat = " " + re.sub(r"\s+", " ", text) + " "
    return [w for w in (*ENGLISH_WORDS, *PHRASES) if w in flat]


PHRASES = _phrases()


# (a) The catalogue


def test_every_message_in_the_code_has_an_english_translation():
    """What `make translations` would extract, each with a translation (none empty or fuzzy)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    extracted = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    english = _english()
    with CATALOGUE.open("rb") as handle:
        fuzzy = [m.id for m in read_po(handle, locale="en") if m.id and m.fuzzy]
    missing = [m for m in extracted if not english.get(m) or not all(english[m])]
    assert missing == [], "run `make translations` and translate these"
    assert fuzzy == []


def test_the_common_english_words_are_found():
    """The check itself works: an English refusal is caught, its bokmål msgid is not."""
    assert english_in("Ikke lagret: The item 'NAL' needs a lot number.")
    assert english_in("Not enough stock of SPRIT: 7711 on hand, 8000 requested.")
    assert not english_in("Ikke lagret: Varen NAL må ha partinummer.")


# (b) Every page and error in bokmål

RULES = sorted(
    (
        rule
        for rule in create_app(config.TestConfig("sqlite://")).url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES
    ),
    key=lambda rule: rule.rule,
)


@pytest.fixture
def world(app: Flask, client):
    """Sites with a tally, stock, a transfer, a count and a training session, as the demo."""
    admin, values = make_world()
    login(client, admin)
    return {"admin": admin, "token": make_token(admin), "values": values}


def _path(rule, values: dict) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(str(values.get(match.group(2), "1")), safe="")

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", fill, rule.rule)


def test_every_page_and_api_answer_is_bokmal(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    found = []
    for rule in RULES:
        values = {**world["values"], "code": "SPR-2"} if "/items/" in rule.rule else world["values"]
        path = _path(rule, values)
        response = client.get(
            path,
            query_string={"from": today().replace(day=1).isoformat(), "to": today().isoformat()}
            | ({"site": "OSL-MO"} if path.startswith("/api/") else {}),
            headers=headers if path.startswith("/api/") else {},
        )
        text = _text(response)
        response.close()
        db.session.rollback()
        if text is None or 300 <= response.status_code < 400:
            continue  # a file, or a redirect's body that no browser shows
        if response.status_code >= 500:
            found.append(f"{path}: {response.status_code}")
        english = english_in(text)
        if english:
            found.append(f"{path} ({response.status_code}): {english}")
    assert found == []


def _fail_with(app: Flask, monkeypatch, status: int) -> None:
    """Make the front page fail with this status."""
    failures = {
        500: RuntimeError("boom"),
        503: OperationalError("SELECT 1", {}, Exception("down")),
        405: exceptions.MethodNotAllowed(valid_methods=["GET"]),
    }

    def fail():
        raise failures.get(status) or exceptions.default_exceptions[status]()

    monkeypatch.setitem(app.view_functions, "web.home", fail)


@pytest.mark.parametrize("status", STATUSES)
def test_every_error_page_is_bokmal_with_a_way_back_and_english_on_request(
    app, client, monkeypatch, status
):
    _fail_with(app, monkeypatch, status)
    response = client.get("/")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="nb">' in page
    assert 'href="/"' in page  # the way back to the front page
    assert english_in(_visible_text(page)) == []
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "To the start page" in english


def test_a_mistyped_address_is_a_page_and_under_api_a_translated_problem(client):
    page = client.get("/finnes-ikke")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Fant ikke siden" in page.get_data(as_text=True)
    api = client.get("/api/v1/finnes-ikke")
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["type"] == "/problems/not-found"
    assert api.get_json()["detail"] == "Adressen finnes ikke. Sjekk at den er skrevet riktig."
    english = client.get("/api/v1/finnes-ikke", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert english.get_json()["detail"] == (
        "That address does not exist. Check that it is spelt right."
    )
    browser = client.get("/api/v1/finnes-ikke", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html"


# One test per kind of refusal


def test_a_refused_api_request_speaks_the_language_of_accept_language(client):
    site = make_site("OSL-MO")
    make_item("NAL-1", category="naloxone")
    api = api_client(client, make_user("staff", [site]))
    body = {**receipt_line(site), "lines": [{"item": "NAL-1", "quantity": 3}]}

    default = api.post("/receipts", json=body)
    bokmal = api.post("/receipts", json=body, headers={"Accept-Language": "nb-NO,nb;q=0.9"})
    english = api.post("/receipts", json=body, headers={"Accept-Language": "en-US,en;q=0.9"})

    for response in (default, bokmal, english):
        assert response.status_code == 422
        assert response.get_json()["type"] == "/problems/invalid-input"
        assert response.get_json()["code"] == "lot-required"
    assert default.get_json()["detail"] == "Varen NAL-1 må ha partinummer."
    assert bokmal.get_json()["detail"] == "Varen NAL-1 må ha partinummer."
    assert bokmal.get_json()["title"] == "Ugyldige opplysninger"
    assert bokmal.get_json()["errors"]["lines"]["0"]["lot"] == ["Må fylles ut for denne varen."]
    assert english.get_json()["detail"] == "The item 'NAL-1' needs a lot number."
    assert english.get_json()["title"] == "Invalid data"
    assert english.get_json()["errors"]["lines"]["0"]["lot"] == ["Required for this item."]


def test_the_apis_field_errors_are_translated_too(client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    api = api_client(client, make_user("staff", [site]))
    body = {**tally_body(site, {"SPR-2": 1}), "contacts": "mange", "surprise": 1}
    bokmal = api.post("/tallies", json=body).get_json()
    english = api.post("/tallies", json=body, headers={"Accept-Language": "en"}).get_json()
    assert bokmal["errors"]["contacts"] == ["Ikke et gyldig heltall."]
    assert bokmal["errors"]["surprise"] == ["Ukjent felt."]
    assert english_in(bokmal["detail"]) == []
    assert english["errors"]["contacts"] == ["Not a valid integer."]
    assert english["errors"]["surprise"] == ["Unknown field."]


def test_a_refused_web_form_is_bokmal_and_english_after_the_switch(client):
    site, other = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    lead = make_user("lead", [site, other])
    stock.receive(
        Actor(lead), site_code=site.code, received_on=today(),
        lines=[{"item": "SPR-2", "quantity": 5}],
    )  # fmt: skip
    login(client, lead)
    data = {
        "from_site": site.code, "to_site": other.code, "date": today().isoformat(),
        "lines-0-item": "SPR-2", "lines-0-quantity": "100",
    }  # fmt: skip

    refused = form_post(client, "/overforinger/ny", data)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Ikke nok SPR-2 på lager: 5 på lager, 100 ønsket." in page
    assert english_in(_visible_text(page)) == []

    form_post(client, "/sprak", {"lang": "en"}, page_url="/")
    page = form_post(client, "/overforinger/ny", data).get_data(as_text=True)
    assert "Not enough stock of SPR-2: 5 on hand, 100 requested." in page


def receipt_line(site) -> dict:
    return {"site": site.code, "date": today().isoformat()}


def test_a_service_refusal_outside_a_request_reads_bokmal(app):
    """The CLI and the import have no request: their refusals are bokmål."""
    from tracker.services.access import ROLE_NAMES

    with app.app_context():  # a fresh one, as the CLI has
        assert str(Conflict(ROLE_NAMES["lead"])) == "stedsleder"
