"""Browser tests: a stock count on a phone, and a transfer shipped at one site, received at another.

They log in through the login page, as a user would.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.api.stockops_helpers import balance
from tests.browser import log_in, screenshot
from tests.factories import PASSWORD, make_item, make_site, make_user
from tracker.dates import today
from tracker.services import stock
from tracker.services.access import Actor


@pytest.fixture
def two_sites(app):
    sender, receiver = make_site("OSL-MO"), make_site("OSL-SR")
    make_item("SPR-2")
    lead = make_user("lead", [sender], email="leder.mo@test.no")
    stock.receive(
        Actor(lead),
        site_code="OSL-MO",
        received_on=today(),
        lines=[{"item": "SPR-2", "quantity": 80}],
    )
    return sender, receiver, lead, make_user("lead", [receiver], email="leder.sr@test.no")


@pytest.mark.browser
def test_a_count_on_a_phone(phone_page, two_sites):
    sender, _, lead, _ = two_sites
    log_in(phone_page, lead.email, PASSWORD)
    phone_page.goto("/varetelling")
    phone_page.get_by_role("button", name="Start telling").click()
    phone_page.get_by_label("Vare SPR-2").fill("77")
    phone_page.get_by_role("button", name="Lagre telling").click()
    expect(phone_page.get_by_text("Tellingen er lagret")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the count sheet scrolls sideways on a phone ({width}px)"
    screenshot(phone_page, "count-phone")
    phone_page.get_by_role("button", name="Avslutt telling og før avvik").click()
    # step two: the line that differs needs a reason before the count closes
    phone_page.locator("select[name^=reason-]").first.select_option("counting_error")
    phone_page.get_by_role("button", name="Avslutt telling og før avvik").click()
    assert phone_page.locator("td.variance").first.inner_text() == "-3"
    assert balance(sender, "SPR-2") == 77


@pytest.mark.browser
def test_a_transfer_shipped_at_one_site_and_received_at_another(chromium, live_server, two_sites):
    sender, receiver, lead_sender, lead_receiver = two_sites
    pages = []
    for user in (lead_sender, lead_receiver):
        context = chromium.new_context(base_url=live_server, locale="nb-NO")
        page = context.new_page()
        page.set_default_timeout(10_000)
        pages.append(page)
        log_in(page, user.email, PASSWORD)
    shipper, taker = pages
    try:
        shipper.goto("/overforinger/ny")
        shipper.get_by_label("Til sted").select_option("OSL-SR")
        shipper.get_by_label("Vare 1").select_option("SPR-2")
        shipper.locator("input[name='lines-0-quantity']").fill("25")
        shipper.get_by_role("button", name="Send", exact=True).click()
        expect(shipper.get_by_text("Underveis").first).to_be_visible()
        assert balance(sender, "SPR-2") == 55
        assert balance(receiver, "SPR-2") == 0

        taker.goto("/overforinger")
        taker.get_by_role("link", name="Motta ved OSL-SR").click()
        taker.locator("input[name^='received-']").fill("24")
        taker.get_by_role("button", name="Motta", exact=True).click()
        expect(taker.get_by_text("er mottatt")).to_be_visible()
        screenshot(taker, "transfer-received")
        assert balance(receiver, "SPR-2") == 24
    finally:
        for page in pages:
            page.context.close()
