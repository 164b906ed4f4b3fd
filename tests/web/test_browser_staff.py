"""Staff in a real browser: log in, enter a day, see it in stock and history, correct it."""

from __future__ import annotations

import pytest

from tests.browser import screenshot
from tests.factories import PASSWORD, make_item, make_site, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def outlet(app):
    site = make_site("OSL-MO")
    items = {
        "syringes": make_item("SPR-2", "syringe"),
        "needles": make_item("KAN-23", "needle"),
        "foil": make_item("FOLIE", "foil"),
        "naloxone": make_item("NAL", "naloxone"),
        "cards": make_item("ODK", "overdose_card"),
    }
    staff = make_user("staff", [site])
    return site, items, staff


def log_in(page, user) -> None:
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)


def test_staff_enter_a_day_see_it_in_stock_and_history_correct_it_and_log_out(browser_page, outlet):
    page = browser_page
    site, items, staff = outlet
    log_in(page, staff)  # one site: no picker, straight to its daily form
    page.wait_for_url(f"**/steder/{site.code}/utdeling")
    page.fill(f"#item_{items['syringes'].id}", "40")
    page.fill(f"#item_{items['needles'].id}", "35")
    page.fill(f"#item_{items['foil'].id}", "12")
    page.fill("#contacts", "9")
    screenshot(page, "entry-form")
    page.click("button.primary.big")
    receipt = page.locator(".receipt")
    receipt.wait_for()
    assert "40" in receipt.inner_text()
    assert "Lagret" in receipt.inner_text()

    page.click(".site-nav >> text=Lager")
    page.wait_for_url(f"**/steder/{site.code}/lager")
    row = page.locator("tr", has_text="Vare SPR-2")
    assert "−40" in row.inner_text() or "-40" in row.inner_text()
    assert "avvik" in row.inner_text()
    assert page.locator("svg.chart polyline").count() >= 1
    screenshot(page, "stock-page")

    page.click(".site-nav >> text=Historikk")
    entry = page.locator("article.entry").first
    assert "Vare SPR-2: 40" in entry.inner_text()
    assert staff.name in entry.inner_text()
    entry.locator("text=Endre eller slett").click()
    page.fill(f"#item_{items['syringes'].id}", "30")
    page.click("button.primary.big")
    page.wait_for_url("**/historikk**")
    entry = page.locator("article.entry").first
    assert "Vare SPR-2: 30" in entry.inner_text()
    assert "Korrigeringer" in entry.inner_text()
    assert "−10" in entry.inner_text()

    page.click("details.menu > summary")  # logging out is in the compact menu
    page.click("header >> text=Logg ut")
    page.wait_for_url("**/login")
    page.goto(f"/steder/{site.code}/utdeling")
    assert "/login" in page.url


def test_staff_get_403_on_another_sites_pages_and_on_admin_pages(browser_page, outlet):
    page = browser_page
    _site, _items, staff = outlet
    other = make_site("BGO-MO", "4601")
    log_in(page, staff)
    for path in (
        f"/steder/{other.code}/utdeling",
        f"/steder/{other.code}/lager",
        f"/steder/{other.code}/historikk",
        f"/steder/{other.code}/nalokson",
        "/brukere",
    ):
        response = page.goto(path)
        assert response.status == 403, path


def test_the_entry_form_fits_a_phone_without_horizontal_scroll(phone_page, outlet):
    page = phone_page
    site, _items, staff = outlet
    log_in(page, staff)
    page.goto(f"/steder/{site.code}/utdeling")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    screenshot(page, "entry-form-phone")
    assert widths[0] <= widths[1], widths
    page.goto(f"/steder/{site.code}/lager")
    screenshot(page, "stock-page-phone")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_resent_form_records_the_day_once(browser_page, outlet):
    """A double tap or a retry after a lost answer sends the same form twice: one entry."""
    from sqlalchemy import func, select

    from tracker.extensions import db
    from tracker.models import TallyEntry

    page = browser_page
    site, items, staff = outlet
    log_in(page, staff)
    page.goto(f"/steder/{site.code}/utdeling")
    page.fill(f"#item_{items['syringes'].id}", "7")
    fields = page.evaluate(
        "() => Object.fromEntries(new FormData(document.querySelector('form.tally-form')))"
    )
    action = page.get_attribute("form.tally-form", "action")
    for _ in range(2):  # the same form, as the browser would resend it
        response = page.request.post(action, form=fields, max_redirects=0)
        assert response.status == 302
    page.locator("button.primary.big").dblclick()  # the same form, double-clicked
    page.locator(".receipt").wait_for()
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(TallyEntry)) == 1
    page.reload()
    assert "1 registrering" in page.locator(".today").inner_text()
