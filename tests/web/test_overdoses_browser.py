"""On a phone: record an overdose, open the daily form's collapsed section and save it."""

from __future__ import annotations

import pytest

from tests.browser import screenshot
from tests.factories import PASSWORD, make_item, make_site, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(page, user) -> None:
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_an_overdose_and_the_days_referrals_on_a_phone(app, phone_page):
    site = make_site("OSL-MO")
    make_item("SPR-2", "syringe")
    make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    page = phone_page
    log_in(page, staff)
    page.goto(f"/steder/{site.code}/overdoser")
    assert fits(page)
    page.check("input[name=place][value=outreach]")
    page.fill("#naloxone_doses", "2")
    page.check("#ambulance_called")
    page.check("input[name=outcome][value=to_hospital]")
    screenshot(page, "overdose-form-phone")
    page.click("button.primary.big")
    page.wait_for_selector("ul.events li")
    assert "Til sykehus/legevakt" in page.inner_text("ul.events")

    page.goto(f"/steder/{site.code}/utdeling")
    section = page.locator("details.day-counts")
    assert not section.evaluate("el => el.open")  # collapsed: the daily form stays quick
    assert not page.locator("#ref_nav").is_visible()
    section.locator("summary").click()
    page.fill("#ref_nav", "2")
    page.fill("#ret_pieces", "30")
    assert fits(page)
    screenshot(page, "day-counts-phone")
    section.locator("button.primary").click()
    page.wait_for_url(f"**/steder/{site.code}/utdeling**")
    assert "lagret i dag" in page.inner_text("details.day-counts summary")
