"""Every visible input on the staff pages has a label; errors are tied to their field."""

from __future__ import annotations

import re

import pytest

from tests.factories import login, make_item, make_site, make_user
from tests.web.pages import inline_scripts


@pytest.mark.parametrize(
    "path",
    [
        "/steder/OSL-MO/utdeling",
        "/steder/OSL-MO/nalokson",
        "/steder/OSL-MO/mottak",
        "/konto",
        "/steder/OSL-MO/overdoser",
        "/steder/OSL-MO/dagstall",
    ],
)
def test_every_input_has_a_label(client, app, path):
    site = make_site("OSL-MO")
    for category in ("syringe", "needle", "foil", "naloxone", "overdose_card"):
        make_item(category=category)
    login(client, make_user("lead", [site]))
    html = client.get(path).get_data(as_text=True)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    assert fields
    for tag in fields:
        if 'type="hidden"' in tag or 'type="radio"' in tag:
            continue  # hidden inputs need none; radios sit inside their <label>
        match = re.search(r'id="([^"]+)"', tag)
        assert match, tag
        assert match.group(1) in labelled, tag


def test_pages_have_no_inline_script_or_style(client, app):
    site = make_site("OSL-MO")
    make_item(category="syringe")
    login(client, make_user("staff", [site]))
    for path in (
        "/",
        "/steder/OSL-MO/utdeling",
        "/steder/OSL-MO/lager",
        "/steder/OSL-MO/overdoser",
    ):
        html = client.get(path).get_data(as_text=True)
        assert inline_scripts(html) == []  # only the app's own files (offline.js)
        assert " style=" not in html
        assert "<style" not in html
