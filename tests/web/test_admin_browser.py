"""In a real browser, from the pages alone: a new municipality, a site in it, its
coordinator, who adds a staff member and hands them a one-time password link."""

import pytest

from tests.browser import log_in, screenshot
from tests.factories import PASSWORD, make_user

COORDINATOR_PASSWORD = "stavanger koordinator"
STAFF_PASSWORD = "mitt eget passord"


def _create_user(page, name, email, role, password, site=None, municipality=None):
    page.goto("/brukere")
    page.get_by_label("Navn", exact=True).fill(name)
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Rolle").select_option(role)
    if site:
        page.get_by_label("Sted (for ansatt og stedsleder)").select_option(site)
    if municipality:
        page.get_by_label("Kommune (for koordinator)").select_option(municipality)
    page.get_by_label("Første passord (minst 10 tegn)").fill(password)
    page.get_by_role("button", name="Opprett bruker").click()
    page.wait_for_url("**/brukere")
    assert f"{name} er opprettet." in page.content()


def _log_out(page):
    page.click("details.menu > summary")  # logging out is in the compact menu
    page.get_by_role("button", name="Logg ut", exact=True).click()
    page.wait_for_url("**/login")


@pytest.mark.browser
def test_an_admin_sets_up_stavanger_and_its_coordinator_takes_over(app, browser_page, chromium):
    admin = make_user("admin", email="admin@test.no")
    page = browser_page
    log_in(page, admin.email, PASSWORD)

    page.goto("/kommuner")
    page.get_by_label("Kommunenummer (4 sifre)").fill("1103")
    page.get_by_label("Navn", exact=True).fill("Stavanger")
    page.get_by_role("button", name="Opprett kommune").click()
    page.wait_for_url("**/kommuner")
    assert "Stavanger (1103) er opprettet." in page.content()

    page.goto("/steder")
    page.get_by_label("Kode (2–32 tegn: bokstaver, tall, - og _)").fill("STV-MO")
    page.get_by_label("Navn", exact=True).fill("MO-senteret Stavanger")
    page.get_by_label("Kommune", exact=True).select_option("1103")
    page.get_by_label("Type").select_option("mo_senter")
    page.get_by_role("button", name="Opprett sted").click()
    page.wait_for_url("**/steder")
    assert "MO-senteret Stavanger (STV-MO) er opprettet." in page.content()

    _create_user(
        page,
        "Kari Koordinator",
        "kari@stavanger.no",
        "coordinator",
        COORDINATOR_PASSWORD,
        municipality="1103",
    )
    _log_out(page)

    log_in(page, "kari@stavanger.no", COORDINATOR_PASSWORD)
    _create_user(page, "Ola Ansatt", "ola@stavanger.no", "staff", "et forste passord", "STV-MO")
    row = page.locator("tr", has_text="ola@stavanger.no")
    row.get_by_role("button", name="Lenke for nytt passord").click()
    link = page.locator("#reset-url").input_value()
    assert "/passord/" in link
    screenshot(page, "admin-reset-link")

    context = chromium.new_context(locale="nb-NO")  # Ola's own phone: no login
    other = context.new_page()
    other.goto(link)
    other.get_by_label("Nytt passord", exact=True).fill(STAFF_PASSWORD)
    other.get_by_label("Gjenta nytt passord").fill(STAFF_PASSWORD)
    other.get_by_role("button", name="Sett passord").click()
    other.wait_for_url("**/login")
    assert "Passordet er satt." in other.content()
    other.goto(link)
    assert "allerede brukt" in other.content()
    context.close()

    _log_out(page)
    log_in(page, "ola@stavanger.no", STAFF_PASSWORD)
    page.goto("/steder/STV-MO/utdeling")
    assert page.url.endswith("/steder/STV-MO/utdeling")
    screenshot(page, "admin-new-staff-entry")
