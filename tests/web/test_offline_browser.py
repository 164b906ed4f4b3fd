"""Entry without a network in a real browser (issue 25): queue, reload offline, sync once.

The network is cut by stopping the app's server (its port closed; every connection is
closed after one answer), so the service worker's own fetches fail too (Playwright's
set_offline does not cut those, microsoft/playwright#2311). Server answers (503 once, an
answer lost after the server saved) come from a gate in front of the app.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import CHROMIUM_ARGS, screenshot
from tests.factories import PASSWORD, actor, make_item, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import NaloxoneHandout, Site, TallyEntry
from tracker.services import stock

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class OneAnswerPerConnection(WSGIRequestHandler):
    """HTTP/1.0: no kept-alive connection outlives a stopped server."""

    protocol_version = "HTTP/1.0"


class Gate:
    """WSGI middleware: passes requests to the app unless told to fail some POSTs."""

    def __init__(self, app) -> None:
        self.app = app
        self.fail_next_posts = 0  # answer the next n API POSTs 503 without saving
        self.lose_next_answers = 0  # save, then answer 503 (the answer "lost" on the way)
        self.posts: list[str] = []

    def __call__(self, environ, start_response):
        is_post = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].startswith(
            "/api/v1/"
        )
        if is_post:
            self.posts.append(environ.get("HTTP_IDEMPOTENCY_KEY", ""))
        if is_post and self.fail_next_posts:
            self.fail_next_posts -= 1
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]
        if is_post and self.lose_next_answers:
            self.lose_next_answers -= 1
            body = b"".join(self.app(environ, lambda *args, **kwargs: None))
            del body  # saved on the server; the phone never sees the answer
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"lost"]
        return self.app(environ, start_response)


class SwitchableServer:
    """The app on a fixed loopback port that can be stopped and started again (same origin)."""

    def __init__(self, app) -> None:
        self.gate = Gate(app)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server(
            "127.0.0.1", self.port, self.gate, threaded=True, request_handler=OneAnswerPerConnection
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def server(app) -> Iterator[SwitchableServer]:
    running = SwitchableServer(app)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def phone(server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, _chromium_available

    if not _chromium_available():
        pytest.skip("chromium is not installed: browser tests skipped")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, locale="nb-NO"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    browser.close()
    playwright.stop()


@pytest.fixture
def outreach(app):
    site = make_site("OSL-OPP")
    syringes = make_item("SPR-2", "syringe")
    foil = make_item("FOLIE", "foil")
    naloxone = make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    stock.receive(
        actor(staff),
        site_code=site.code,
        received_on=today(),
        lines=[
            {
                "item": naloxone.code,
                "quantity": 20,
                "lot": "N1",
                "expiry": today() + timedelta(days=300),
            }
        ],
    )
    return site, {"syringes": syringes, "foil": foil, "naloxone": naloxone}, staff


def log_in(page, user) -> None:
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)


def open_offline_form(page) -> None:
    """The offline forms, once the service worker holds the shell and the data is stored."""
    page.goto("/uten-nett")
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    page.evaluate("() => navigator.serviceWorker.ready")
    page.wait_for_function(
        "() => caches.open('tracker-shell-v1').then(c => c.match('/uten-nett')).then(Boolean)"
    )


def enter_day(page, day, syringes: int, foil: int = 0) -> None:
    page.fill("[data-line-item=SPR-2]", str(syringes))
    if foil:
        page.fill("[data-line-item=FOLIE]", str(foil))
    page.fill("#offline-contacts", "3")
    page.fill("#offline-tally-date", day.isoformat())
    page.click("form[data-offline-form=tally] button[type=submit]")


def waiting(page) -> str:
    return page.get_attribute("#offline-queue", "data-waiting") or ""


def tally_days(site) -> dict[str, int]:
    """Per day, the syringes counted (the session is let go: SQLite's lock is not held)."""
    db.session.remove()
    rows = db.session.scalars(select(TallyEntry).where(TallyEntry.site_id == site.id)).all()
    found: dict[str, int] = {}
    for entry in rows:
        total = sum(line.quantity for line in entry.lines)
        found[entry.entry_date.isoformat()] = found.get(entry.entry_date.isoformat(), 0) + total
    db.session.remove()
    return found


def handouts() -> int:
    db.session.remove()
    count = db.session.scalar(select(func.count()).select_from(NaloxoneHandout))
    db.session.remove()
    return count


def sync_now(page) -> None:
    """The network is back: the page's online event (the periodic retry would do it too)."""
    page.evaluate("() => window.dispatchEvent(new Event('online'))")


def three_days():
    return [today() - timedelta(days=n) for n in (2, 1, 0)]


def test_three_days_and_a_naloxone_handout_offline_survive_a_reload_and_count_once(
    phone, server, outreach
):
    page = phone
    site, _items, staff = outreach
    log_in(page, staff)
    open_offline_form(page)
    assert page.locator("[data-age]").count() == 3  # sites, items, lots each with its age

    server.stop()  # no network
    days = three_days()
    for n, day in enumerate(days):
        enter_day(page, day, 10 + n)
        page.wait_for_function(f"() => document.querySelector('#offline-queue').dataset.waiting === '{n + 1}'")
    page.fill("#offline-kits", "2")
    page.check("#offline-training")
    page.click("form[data-offline-form=naloxone] button[type=submit]")
    page.wait_for_function("() => document.querySelector('#offline-queue').dataset.waiting === '4'")
    assert "4 venter på sending" in page.inner_text("#offline-queue")
    screenshot(page, "offline-queue-4-waiting")

    page.reload()  # still offline: the service worker's shell, the queue from IndexedDB
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert "4 venter på sending" in page.inner_text("#offline-queue")
    assert page.locator("[data-line-item=SPR-2]").is_visible()
    page.goto(f"/steder/{site.code}/utdeling")  # a staff page while offline: the forms
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert "4 venter på sending" in page.inner_text("#offline-queue")
    screenshot(page, "offline-reload-offline")
    assert tally_days(site) == {} and handouts() == 0

    server.start()
    sync_now(page)
    page.wait_for_function("() => document.querySelector('#offline-queue').dataset.waiting === '0'")
    screenshot(page, "offline-queue-sent")
    assert page.locator(".queue-entry.status-sent").count() == 4
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}
    assert handouts() == 1
    sync_now(page)  # sending again changes nothing
    page.reload()
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}
    assert handouts() == 1
