"""Issue 22: every page at 360 x 740, as the role that uses it, in Debian's chromium.

Each GET page of the URL map (so a new page is covered the day it is added) is visited as an
admin with a record of every kind behind it, and the staff pages as outlet staff. On each:
no sideways scroll, a header of at most 15 % of the screen, no menu link or button smaller
than 44 x 44 px, and no serious or critical axe-core violation (WCAG 2.1 AA). A screenshot of
each page goes to test-results/screenshots/phone-*.png for review. One database is enough:
these are checks of pages, not of SQL (skipped on PostgreSQL).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask import Flask

from tests.browser import screenshot
from tests.factories import login, make_user, make_world
from tracker.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 360, 740
HEADER_SHARE = 0.15
TARGET = 44
# Not pages for people: the API and its documentation, static files, health probes, downloads.
NOT_PAGES = re.compile(r"^/(api|static|healthz|readyz|favicon)|\.(xlsx|csv|json)$")
STAFF_PAGES = (
    "/",
    "/steder/OSL-MO/utdeling",
    "/steder/OSL-MO/nalokson",
    "/steder/OSL-MO/mottak",
    "/steder/OSL-MO/lager",
    "/steder/OSL-MO/historikk",
    "/opplaering/",
    "/konto",
    "/tilgjengelighet",
)

# Links and buttons whose box is under 44 px on either side. Links inside running text (a
# sentence in a paragraph, list item or table cell) are exempt, as WCAG 2.5.5 exempts them.
SMALL_TARGETS = """
() => {
  const small = [];
  const inText = (el) => {
    if (el.tagName !== 'A') return false;
    if (el.closest('header, nav, footer, .menu-panel, .error-summary')) return false;
    if (el.classList.contains('button')) return false;
    const block = el.closest('p, li, td, th, dd, figcaption, caption, span, label, h1, h2, h3');
    return block !== null && block.textContent.trim() !== el.textContent.trim();
  };
  for (const el of document.querySelectorAll('a[href], button, summary, input[type=submit]')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.classList.contains('skip-link')) continue;  // off screen until focused
    if (inText(el)) continue;
    if (box.width < 44 || box.height < 44) {
      small.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
"""


def page_rules(app: Flask) -> list:
    """The URL map's GET rules that are pages for people."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not NOT_PAGES.search(rule.rule)
        ),
        key=lambda rule: rule.rule,
    )


def fill(rule, values: dict) -> str:
    """The rule's path with the world's value for each argument."""

    def one(match: re.Match[str]) -> str:
        return quote(str(values.get(match.group(2), "1")), safe="")

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", one, rule.rule)


def as_user(app: Flask, page, live_server: str, user) -> None:
    """Give the browser the session cookie of `user` (this is about layout, not logging in)."""
    client = app.test_client()
    login(client, user)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server}])


def problems_on(page, path: str, name: str) -> list[str]:
    """What is wrong with the page at `path` on a phone, as readable lines."""
    from playwright.sync_api import Error

    try:
        response = page.goto(path)
    except Error as exc:
        if "Download is starting" in str(exc):
            return []  # a download (workbook, CSV): not a page
        raise
    kind = (response.headers.get("content-type") or "") if response else ""
    if "text/html" not in kind:
        return []  # a download (workbook, CSV): not a page
    return problems_here(page, path, name)


def problems_here(page, path: str, name: str) -> list[str]:
    """What is wrong with the page the browser shows now (see problems_on)."""
    from axe_playwright_python.sync_playwright import Axe

    screenshot(page, f"phone-{name}")
    found = []
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        found.append(f"{path}: {scroll} px wide on a {inner} px screen")
    header = page.locator("header.top").bounding_box()
    if header and header["height"] > HEIGHT * HEADER_SHARE:
        found.append(f"{path}: header {header['height']:.0f} px high")
    found += [f"{path}: small target {t}" for t in page.evaluate(SMALL_TARGETS)]
    if page.locator("details.menu").count():
        page.locator("details.menu > summary").click()
        if name.endswith("-start"):
            screenshot(page, f"phone-{name}-menu-open")
        found += [f"{path}: open menu: small target {t}" for t in page.evaluate(SMALL_TARGETS)]
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            nodes = "; ".join(n["target"][0] for n in violation["nodes"][:3])
            found.append(f"{path}: axe {violation['id']} ({violation['impact']}) at {nodes}")
    return found


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "start"


@pytest.fixture
def phone(phone_page, is_postgres):
    if is_postgres:
        pytest.skip("page layout checks run on one database (SQLite)")
    return phone_page


def richer_world():
    """make_world() plus what fills the widest tables: an item to reorder, a lot expiring."""
    from datetime import timedelta

    from tracker.dates import today
    from tracker.services import catalog, stock
    from tracker.services.access import Actor

    admin, values = make_world()
    boss = Actor(admin)
    catalog.set_levels(boss, "OSL-MO", "SPR-2", reorder_level=300, target_level=400)
    stock.receive(
        boss,
        site_code="OSL-MO",
        received_on=today(),
        lines=[{"item": "NAL-1", "quantity": 12, "lot": "SOON-1",
                "expiry": today() + timedelta(days=20)}],
    )  # fmt: skip
    return admin, values


def test_every_page_fits_a_phone_and_passes_axe_as_admin(app, phone, live_server):
    admin, values = richer_world()
    as_user(app, phone, live_server, admin)
    found = []
    for rule in page_rules(app):
        path = fill(rule, values)
        found += problems_on(phone, path, f"admin-{_name(path)}")
    db.session.remove()
    assert found == [], "\n".join(found)


def test_every_staff_page_fits_a_phone_and_passes_axe_as_staff(app, phone, live_server):
    make_world()
    staff = make_user("staff", [_site("OSL-MO")])
    as_user(app, phone, live_server, staff)
    found = []
    for path in STAFF_PAGES:
        found += problems_on(phone, path, f"staff-{_name(path)}")
    assert found == [], "\n".join(found)


def test_the_login_and_start_pages_fit_a_phone_before_logging_in(app, phone):
    found = []
    for path in ("/", "/login", "/tilgjengelighet"):
        found += problems_on(phone, path, f"anonymous-{_name(path)}")
    assert found == [], "\n".join(found)


def _site(code: str):
    from sqlalchemy import select

    from tracker.models import Site

    return db.session.scalar(select(Site).where(Site.code == code))


def test_the_staff_pages_fit_a_phone_in_english_too(app, phone, live_server):
    make_world()
    as_user(app, phone, live_server, make_user("staff", [_site("OSL-MO")]))
    found = []
    for path in STAFF_PAGES:
        found += problems_on(phone, f"{path}?lang=en", f"staff-en-{_name(path)}")
    assert found == [], "\n".join(found)


def test_refused_forms_fit_a_phone_and_pass_axe(app, phone, live_server):
    """The error summary, the fields' messages and the unusual-figure question, on a phone."""
    from datetime import timedelta

    from tracker.dates import today
    from tracker.services import tallies
    from tracker.services.access import Actor

    make_world()
    staff = make_user("staff", [_site("OSL-MO")])
    for n in range(10):  # a usual day of 10 syringes, so 5 000 is asked about
        tallies.create_tally(
            Actor(staff), site_code="OSL-MO", entry_date=today() - timedelta(days=2 + n),
            contacts=1, lines=[{"item": "SPR-2", "quantity": 10}],
        )  # fmt: skip
    as_user(app, phone, live_server, staff)
    found = []
    phone.goto("/steder/OSL-MO/utdeling")
    phone.locator(".qty input").first.fill("-3")
    phone.locator("button.primary.big").click()
    phone.locator(".error-summary").wait_for()
    found += problems_here(phone, "daily form, refused", "refused-daily")
    phone.goto("/steder/OSL-MO/utdeling")
    phone.locator(".qty input").first.fill("5000")
    phone.locator("button.primary.big").click()
    phone.locator(".error-summary").wait_for()
    assert "5\u00a0000" in phone.locator(".error-summary").inner_text()
    found += problems_here(phone, "daily form, unusual", "unusual-daily")
    phone.goto("/steder/OSL-MO/nalokson")
    phone.fill("#quantity", "0")
    phone.locator("button.primary.big").click()
    phone.locator(".error-summary").wait_for()
    found += problems_here(phone, "naloxone form, refused", "refused-naloxone")
    assert found == [], "\n".join(found)
