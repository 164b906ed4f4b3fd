"""The import page in chromium, on a phone: check a file, see the preview, send it again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser import log_in, screenshot
from tests.factories import PASSWORD, make_item, make_site, make_user
from tracker.extensions import db
from tracker.models import DistributionDaily


@pytest.mark.browser
def test_a_coordinator_imports_a_file_on_a_phone(app, phone_page, tmp_path):
    make_site("OSL-MO", municipality="0301")
    make_item("SPR-2", "syringe")
    user = make_user("coordinator", municipality="0301", email="koord@test.no")
    source = tmp_path / "historikk.csv"
    source.write_text("sted;dato;vare;antall\nOSL-MO;05.06.2025;SPR-2;1 234\n", encoding="utf-8")

    page = phone_page
    log_in(page, user.email, PASSWORD)
    page.goto("/import")
    page.set_input_files("input[name=file]", str(source))
    page.get_by_role("button", name="Kontroller filen").click()
    expect(page.get_by_text("Alle radene er i orden")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "import-preview-phone")
    # Nothing waits on the server: the confirmation sends the same file again.
    page.get_by_label("Velg den samme filen en gang til").set_input_files(str(source))
    page.get_by_role("button", name="Importer 1 rader").click()
    expect(page.get_by_text("Importerte 1 rader")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(DistributionDaily.quantity)) == 1234
