"""A new municipality set up from the pages alone, in a real browser (issue 19's "done when"):
an admin adds Stavanger and its coordinator; the coordinator adds a site, its lead and a
staff member, chooses the site's items and sets their levels; the staff member logs in,
lands on the site's daily form (one site: no picker) and enters the day."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser import log_in, screenshot
from tests.factories import PASSWORD, make_item, make_user
from tracker.extensions import db
from tracker.models import Site, SiteItem, TallyEntry, User

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORDS = {
    "kari@stavanger.no": "stavanger koordinator",
    "lise@stavanger.no": "stavanger stedsleder",
    "ola@stavanger.no": "stavanger ansatt 1",
}


def _create_user(page, name, email, role, *, site=None, municipality=None):
    page.goto("/brukere")
    page.get_by_label("Navn", exact=True).fill(name)
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Rolle").select_option(role)
    if site:
        page.get_by_label("Sted (for ansatt og stedsleder)").select_option(site)
    if municipality:
        page.get_by_label("Kommune (for koordinator)").select_option(municipality)
    page.get_by_label("Første passord (minst 10 tegn)").fill(PASSWORDS[email])
    page.get_by_role("button", name="Opprett bruker").click()
    page.wait_for_url("**/brukere")
    assert f"{name} er opprettet." in page.content()


def _toggle(page, item_name, button):
    row = page.locator("tr", has_text=item_name)
    row.get_by_role("button", name=button).click()
    page.wait_for_url("**/steder/STV-MO/varer")
    expected = "Slått på" if button == "Slå på" else "Slått av"
    assert expected in page.locator("tr", has_text=item_name).inner_text()


def _log_out(page):
    page.click("details.menu > summary")  # logging out is in the compact menu
    page.get_by_role("button", name="Logg ut", exact=True).click()
    page.wait_for_url("**/login")


@pytest.mark.browser
def test_a_new_municipality_is_set_up_from_the_pages_and_its_staff_enter_a_day(app, browser_page):
    admin = make_user("admin", email="admin@test.no")
    syringes = make_item("SPR-2", "syringe")  # the national catalogue, kept by admins
    foil = make_item("FOLIE", "foil")
    swabs = make_item("SPRIT", "other")
    page = browser_page

    log_in(page, admin.email, PASSWORD)
    page.goto("/kommuner")
    page.get_by_label("Kommunenummer (4 sifre)").fill("1103")
    page.get_by_label("Navn", exact=True).fill("Stavanger")
    page.get_by_role("button", name="Opprett kommune").click()
    page.wait_for_url("**/kommuner")
    assert "Stavanger (1103) er opprettet." in page.content()
    _create_user(page, "Kari Koordinator", "kari@stavanger.no", "coordinator", municipality="1103")
    _log_out(page)

    # The coordinator: a site run by an NGO, its lead and staff, its items and levels.
    log_in(page, "kari@stavanger.no", PASSWORDS["kari@stavanger.no"])
    page.goto("/steder")
    page.get_by_label("Kode (2–32 tegn: bokstaver, tall, - og _)").fill("STV-MO")
    page.get_by_label("Navn", exact=True).fill("MO-senteret Stavanger")
    page.get_by_label("Kommune", exact=True).select_option("1103")
    page.get_by_label("Type").select_option("mo_senter")
    page.get_by_label("Drives av").select_option("ngo")
    page.get_by_role("button", name="Opprett sted").click()
    page.wait_for_url("**/steder")
    assert "MO-senteret Stavanger (STV-MO) er opprettet." in page.content()
    _create_user(page, "Lise Stedsleder", "lise@stavanger.no", "lead", site="STV-MO")
    _create_user(page, "Ola Ansatt", "ola@stavanger.no", "staff", site="STV-MO")

    page.goto("/steder")
    page.locator("tr", has_text="STV-MO").get_by_role("link", name="Varer").click()
    _toggle(page, "Vare SPRIT", "Slå på")  # not a reporting category: off at a new site
    _toggle(page, "Vare FOLIE", "Slå av")  # no foil at this site
    screenshot(page, "setup-site-items")

    page.goto("/steder/STV-MO/nivaer")
    page.fill("#reorder_SPR-2", "200")
    page.fill("#target_SPR-2", "600")
    page.fill("#reorder_SPRIT", "100")
    page.fill("#target_SPRIT", "300")
    page.get_by_role("button", name="Lagre nivåer").click()
    page.wait_for_url("**/steder/STV-MO/nivaer")
    assert "Nivåene er lagret (2 endret)." in page.content()
    _log_out(page)

    # The staff member: one site, so the login opens its daily form at once.
    log_in(page, "ola@stavanger.no", PASSWORDS["ola@stavanger.no"])
    page.wait_for_url("**/steder/STV-MO/utdeling")
    assert page.locator(f"#item_{swabs.id}").count() == 1
    assert page.locator("input[id^=item_]").count() == 2  # foil is off here
    page.fill(f"#item_{syringes.id}", "40")
    page.fill(f"#item_{swabs.id}", "25")
    page.fill("#contacts", "12")
    page.click("button.primary.big")
    receipt = page.locator(".receipt")
    receipt.wait_for()
    assert "Lagret" in receipt.inner_text()
    screenshot(page, "setup-first-day")

    db.session.remove()
    site = db.session.scalar(select(Site).where(Site.code == "STV-MO"))
    assert (site.municipality.number, site.operator) == ("1103", "ngo")
    roles = {
        u.email: (u.global_role, [(m.site.code, m.role) for m in u.memberships])
        for u in db.session.scalars(select(User).where(User.email.like("%@stavanger.no")))
    }
    assert roles == {
        "kari@stavanger.no": ("coordinator", []),
        "lise@stavanger.no": (None, [("STV-MO", "lead")]),
        "ola@stavanger.no": (None, [("STV-MO", "staff")]),
    }
    levels = {
        row.item_id: (row.active, row.reorder_level, row.target_level)
        for row in db.session.scalars(select(SiteItem).where(SiteItem.site_id == site.id))
    }
    assert levels[syringes.id] == (True, 200, 600)
    assert levels[swabs.id] == (True, 100, 300)
    assert levels[foil.id][0] is False
    entry = db.session.scalars(select(TallyEntry).where(TallyEntry.site_id == site.id)).one()
    assert entry.contacts == 12
    assert sorted((line.item.code, line.quantity) for line in entry.lines) == [
        ("SPR-2", 40),
        ("SPRIT", 25),
    ]
