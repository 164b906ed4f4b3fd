"""Issue 22: the daily form and the naloxone form are completed with the keyboard alone.

Only Tab, arrow keys, Space, typing and Enter: no clicks. Every element that takes focus on
the way shows a visible focus indicator; a refused form names its errors at the fields
(aria-invalid, aria-describedby) and in a summary with links at the top (role=alert).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import actor, make_item, make_site, make_user
from tests.web.test_phone_pages_browser import as_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import NaloxoneHandout, TallyEntry
from tracker.services import stock

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Whether the focused element shows an indicator: an outline or a box shadow that is drawn.
FOCUS_SHOWN = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== 'none';
}
"""


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has focus; each stop shows focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        shown = page.evaluate(FOCUS_SHOWN)
        where = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        assert shown is not False, f"no visible focus on {where}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.fixture
def outlet(app, is_postgres):
    if is_postgres:
        pytest.skip("keyboard checks run on one database (SQLite)")
    site = make_site("OSL-MO")
    syringes = make_item("SPR-2", "syringe")
    make_item("FOLIE", "foil")
    naloxone = make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    stock.receive(
        actor(staff),
        site_code=site.code,
        received_on=today(),
        lines=[{"item": "NAL", "quantity": 10, "lot": "L1",
                "expiry": today() + timedelta(days=200)}],
    )  # fmt: skip
    return site, syringes, naloxone, staff


def test_the_daily_form_is_completed_with_the_keyboard_alone(app, phone_page, live_server, outlet):
    page = phone_page
    _site, syringes, _naloxone, staff = outlet
    as_user(app, page, live_server, staff)
    page.goto("/steder/OSL-MO/utdeling")
    tab_to(page, f"#item_{syringes.id}")
    page.keyboard.type("40")
    tab_to(page, "#contacts")
    page.keyboard.type("9")
    tab_to(page, "button.primary.big")
    page.keyboard.press("Enter")
    page.locator(".receipt").wait_for()
    db.session.remove()
    (entry,) = db.session.scalars(select(TallyEntry)).all()
    assert entry.contacts == 9
    assert [line.quantity for line in entry.lines] == [40]


def test_a_refused_daily_form_names_its_errors_at_the_fields_and_at_the_top(
    app, phone_page, live_server, outlet
):
    page = phone_page
    _site, syringes, _naloxone, staff = outlet
    as_user(app, page, live_server, staff)
    page.goto("/steder/OSL-MO/utdeling")
    tab_to(page, f"#item_{syringes.id}")
    page.keyboard.type("-5")
    page.keyboard.press("Enter")  # Enter in a field sends the form
    summary = page.locator(".error-summary[role=alert]")
    summary.wait_for()
    link = summary.locator(f'a[href="#item_{syringes.id}"]')
    assert link.count() == 1
    field = page.locator(f"#item_{syringes.id}")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text().strip()
    tab_to(page, f'.error-summary a[href="#item_{syringes.id}"]')  # the summary is reachable
    page.keyboard.press("Enter")
    assert page.url.endswith(f"#item_{syringes.id}")


def test_the_naloxone_form_is_completed_with_the_keyboard_alone(
    app, phone_page, live_server, outlet
):
    page = phone_page
    _site, _syringes, _naloxone, staff = outlet
    as_user(app, page, live_server, staff)
    page.goto("/steder/OSL-MO/nalokson")
    tab_to(page, "#quantity")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, "input[name=recipient_group]")
    page.keyboard.press("ArrowDown")  # from "pwud" to the next group
    tab_to(page, "input[name=first_time]")
    page.keyboard.press("ArrowDown")  # "Påfyll"
    tab_to(page, "#refill_reason")
    page.keyboard.press("ArrowDown")  # the first reason in the list
    tab_to(page, "#training_given")
    page.keyboard.press("Space")
    tab_to(page, "button.primary.big")
    page.keyboard.press("Enter")
    page.locator(".receipt").wait_for()
    db.session.remove()
    (handout,) = db.session.scalars(select(NaloxoneHandout)).all()
    assert handout.quantity == 2
    assert handout.recipient_group != "pwud"
    assert handout.first_time is False
    assert handout.refill_reason is not None
    assert handout.training_given is True
    assert " kl. " in page.locator(".receipt h2").inner_text()  # the time, as the daily receipt
