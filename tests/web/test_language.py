"""Bokmål by default, English on request; Norwegian number and date formats."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po
from flask import g
from flask_babel import refresh

from tests.factories import login, make_item, make_site, make_user
from tests.web.pages import form_post
from tracker.web import formats

CATALOGUE = Path(__file__).resolve().parents[2] / "tracker/translations/en/LC_MESSAGES/messages.po"


def test_numbers_and_dates_are_norwegian_by_default(app):
    with app.test_request_context("/"):
        g.pop("_login_user", None)  # the tests' long-lived `g` may hold an earlier request's user
        refresh()
        assert formats.number(1234567) == "1\u00a0234\u00a0567"
        assert formats.number(2.5, 1) == "2,5"
        assert formats.signed(-10) == "−10"
        assert formats.day(date(2026, 6, 5)) == "05.06.2026"


def test_numbers_are_english_in_english(app):
    with app.test_request_context("/?lang=en"):
        refresh()  # the tests' long-lived app context caches the locale
        assert formats.number(1234567) == "1,234,567"
    with app.test_request_context("/"):
        refresh()  # leave bokmål behind for the next test


def test_the_entry_form_is_bokmal_by_default_and_english_after_the_switch(client, app):
    site = make_site("OSL-MO")
    make_item("SPR-2", "syringe")
    login(client, make_user("staff", [site]))
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert '<html lang="nb">' in html
    assert "Sprøyter" in html
    assert "Lagre utdeling" in html
    form_post(client, "/sprak?next=/steder/OSL-MO/utdeling", {"lang": "en"}, page_url="/")
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Syringes" in html
    assert "Save distribution" in html
    assert "Item SPR-2" in html  # the item's English name


def test_the_english_catalogue_translates_every_message():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    untranslated = [
        m.id
        for m in catalogue
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    assert untranslated == []
    assert not any("fuzzy" in m.flags for m in catalogue if m.id)
