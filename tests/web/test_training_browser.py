"""In a real browser: register a CPR session with two staff attendees, see them valid."""

import pytest

from tests.browser import log_in, screenshot
from tests.factories import PASSWORD, make_site, make_user
from tracker.extensions import db


@pytest.mark.browser
def test_register_cpr_session_with_two_staff_and_see_them_valid(app, browser_page):
    site = make_site("OSL-MO")
    lead = make_user("lead", [site], email="leder@test.no")
    for email, name in (("anne@test.no", "Anne Ansatt"), ("bjorn@test.no", "Bjørn Ansatt")):
        make_user("staff", [site], email=email).name = name
    db.session.commit()
    page = browser_page
    log_in(page, lead.email, PASSWORD)

    page.goto("/opplaering/ny")
    page.get_by_label("Type kurs").select_option("cpr")
    page.get_by_label("Brukere").fill("6")
    page.get_by_label("Anne Ansatt").check()
    page.get_by_label("Bjørn Ansatt").check()
    page.get_by_label("Varighet (minutter)").fill("90")
    page.get_by_role("button", name="Lagre kurs").click()
    page.wait_for_url("**/opplaering/?sted=OSL-MO")
    assert "Kurset er registrert." in page.content()

    page.goto("/opplaering/sertifiseringer?sted=OSL-MO")
    rows = page.locator("tr.status-valid")
    names = sorted(r.locator("td").first.inner_text() for r in rows.all())
    assert names == ["Anne Ansatt", "Bjørn Ansatt"]
    assert "2 av 3 aktive ansatte har gyldig HLR" in page.locator(".compliance").inner_text()
    screenshot(page, "training-overview")
