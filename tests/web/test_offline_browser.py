"""Entry without a network in a real browser (issue 25): queue, reload offline, sync once.

The network is cut by stopping the app's server (its port closed; every connection is
closed after one answer), so the service worker's own fetches fail too (Playwright's
set_offline does not cut those, microsoft/playwright#2311). Server answers (503 once, an
answer lost after the server saved) come from a gate in front of the app.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import screenshot
from tests.factories import PASSWORD, actor, make_item, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    Membership,
    NaloxoneHandout,
    OverdoseEvent,
    Referral,
    Site,
    TallyEntry,
)
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
def phone(chromium, server) -> Iterator[object]:
    """A phone-sized context of the shared chromium (tests/browser.py) on the switchable server."""
    context = chromium.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, locale="nb-NO"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


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
    """The network is back: the page's online event (the periodic retry would do it too);
    returns when a round of sending has ended."""
    before = page.evaluate("() => document.body.dataset.synced || ''")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function(f"() => (document.body.dataset.synced || '') !== '{before}'")


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
        wait_waiting(page, n + 1)
    page.fill("#offline-kits", "2")
    page.check("#offline-training")
    page.click("form[data-offline-form=naloxone] button[type=submit]")
    wait_waiting(page, 4)
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
    assert tally_days(site) == {}
    assert handouts() == 0

    server.start()
    sync_now(page)
    wait_waiting(page, 0)
    screenshot(page, "offline-queue-sent")
    assert page.locator(".queue-entry.status-sent").count() == 4
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}
    assert handouts() == 1
    sync_now(page)  # sending again changes nothing
    page.reload()
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}
    assert handouts() == 1


def queue_three_days_offline(page, server, staff) -> list:
    log_in(page, staff)
    open_offline_form(page)
    server.stop()
    days = three_days()
    for n, day in enumerate(days):
        enter_day(page, day, 10 + n)
        wait_waiting(page, n + 1)
    return days


def wait_waiting(page, n: int, timeout: float = 15_000) -> None:
    """Until the queue shows n waiting. After a failed round, a longer `timeout` lets the
    page's periodic retry (every 20 s) finish the job if the online event's round was the
    one already under way when the test fired it."""
    page.wait_for_function(
        f"() => document.querySelector('#offline-queue').dataset.waiting === '{n}'",
        timeout=timeout,
    )


def eventually(check, seconds: float = 15) -> None:
    """Until `check()` is true: a send the page started may reach the server a moment later."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


def test_the_network_cut_after_the_first_of_three_sends_sends_the_rest_once_later(
    phone, server, outreach
):
    page = phone
    site, _items, staff = outreach
    days = queue_three_days_offline(page, server, staff)
    sent: list[str] = []

    def first_only(route) -> None:
        if sent:
            route.abort()  # the network is gone again
        else:
            sent.append(route.request.url)
            route.continue_()

    page.route("**/api/v1/tallies", first_only)
    server.start()
    sync_now(page)
    wait_waiting(page, 2)
    screenshot(page, "offline-queue-cut-after-first")
    assert tally_days(site) == {days[0].isoformat(): 10}  # oldest first
    page.unroute("**/api/v1/tallies")
    sync_now(page)
    wait_waiting(page, 0)
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}


def test_an_answer_lost_after_the_server_saved_is_sent_again_and_counted_once(
    phone, server, outreach
):
    page = phone
    site, _items, staff = outreach
    days = queue_three_days_offline(page, server, staff)
    server.gate.lose_next_answers = 1  # saved, but the phone hears 502
    server.start()
    sync_now(page)
    eventually(lambda: tally_days(site) == {days[0].isoformat(): 10})  # saved; answer lost
    wait_waiting(page, 3)  # stopped at the first: the rest wait behind it, in order
    sync_now(page)
    wait_waiting(page, 0, timeout=45_000)
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}
    keys = server.gate.posts
    assert len(keys) == 4
    assert keys[0] == keys[1]  # the retry carried the same key


def test_a_server_answering_503_once_keeps_the_queue_and_the_retry_counts_once(
    phone, server, outreach
):
    page = phone
    site, _items, staff = outreach
    days = queue_three_days_offline(page, server, staff)
    server.gate.fail_next_posts = 1
    server.start()
    sync_now(page)
    eventually(lambda: server.gate.fail_next_posts == 0)  # the 503 was given
    wait_waiting(page, 3)
    screenshot(page, "offline-queue-after-503")
    assert tally_days(site) == {}
    sync_now(page)
    wait_waiting(page, 0, timeout=45_000)
    assert tally_days(site) == {d.isoformat(): 10 + n for n, d in enumerate(days)}


def test_an_entry_for_a_site_deactivated_meanwhile_is_refused_with_its_reason_and_kept(
    phone, server, outreach
):
    page = phone
    site, _items, staff = outreach
    van = make_site("OSL-BUSS")
    staff.memberships.append(Membership(site=van, role="staff"))
    db.session.commit()
    db.session.remove()
    log_in(page, staff)
    open_offline_form(page)
    server.stop()
    page.select_option("[data-offline-site]", "OSL-OPP")
    enter_day(page, today(), 5)
    enter_day(page, today(), 6)
    wait_waiting(page, 2)
    db.session.execute(Site.__table__.update().where(Site.id == site.id).values(active=False))
    db.session.commit()
    db.session.remove()
    server.start()
    sync_now(page)
    refused = page.locator(".queue-entry[data-status=refused]")
    refused.nth(1).wait_for()
    wait_waiting(page, 0)
    assert "Stedet OSL-OPP er deaktivert." in refused.first.inner_text()
    screenshot(page, "offline-queue-refused")
    page.reload()  # kept on the device until the user fixes or discards it
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert refused.count() == 2
    assert tally_days(site) == {}

    refused.first.locator("text=Rett opp").click()  # back in the form, for the other site
    page.wait_for_function("() => document.querySelectorAll('.queue-entry').length === 1")
    assert page.input_value("[data-line-item=SPR-2]") == "5"
    assert page.input_value("[data-offline-site]") == "OSL-BUSS"
    page.click("form[data-offline-form=tally] button[type=submit]")
    page.locator(".queue-entry[data-status=sent]").wait_for()
    assert tally_days(van) == {today().isoformat(): 5}
    page.click(".queue-entry[data-status=refused] >> text=Forkast")
    page.wait_for_function("() => !document.querySelector('.queue-entry[data-status=refused]')")
    assert tally_days(site) == {}


def test_an_unlikely_number_is_asked_about_on_the_device_before_it_is_queued(
    phone, server, outreach
):
    from tracker.services import tallies

    page = phone
    site, _items, staff = outreach
    for n in range(1, 11):
        tallies.create_tally(
            actor(staff),
            site_code=site.code,
            entry_date=today() - timedelta(days=n),
            contacts=1,
            lines=[{"item": "SPR-2", "quantity": 10}],
        )
    db.session.remove()
    log_in(page, staff)
    open_offline_form(page)
    server.stop()
    enter_day(page, today(), 400)
    question = page.locator("form[data-offline-form=tally] [data-offline-error]")
    assert "er mye mer enn vanlig" in question.inner_text()
    assert waiting(page) in ("", "0")
    page.click("form[data-offline-form=tally] button[type=submit]")  # yes, it is right
    wait_waiting(page, 1)


def test_logging_out_with_a_queue_warns_and_another_user_never_sees_or_sends_it(
    phone, server, outreach
):
    page = phone
    site, _items, staff = outreach
    other = make_user("staff", [site])
    log_in(page, staff)
    open_offline_form(page)
    server.stop()
    enter_day(page, today(), 7)
    wait_waiting(page, 1)
    server.gate.fail_next_posts = 1000  # the server is busy: it stays queued
    server.start()
    page.goto(f"/steder/{site.code}/utdeling")
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert "1 venter på sending" in page.inner_text("#offline-queue")
    screenshot(page, "offline-queue-on-staff-page")
    warnings: list[str] = []

    def answer(dialog) -> None:
        warnings.append(dialog.message)
        if len(warnings) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.click("details.menu > summary")  # logging out is in the compact menu
    page.click("header >> text=Logg ut")
    assert "1 registreringer er ikke sendt" in warnings[0]
    assert "/login" not in page.url  # stayed
    page.click("header >> text=Logg ut")  # the menu is still open
    page.wait_for_url("**/login")

    server.gate.fail_next_posts = 0
    posts_before = len(server.gate.posts)
    log_in(page, other)
    page.goto("/uten-nett")
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert page.locator("#offline-queue").is_hidden()
    sync_now(page)
    page.wait_for_timeout(500)
    assert len(server.gate.posts) == posts_before
    assert tally_days(site) == {}

    page.click("header >> text=Til forsiden")
    page.click("details.menu > summary")
    page.click("header >> text=Logg ut")
    page.wait_for_url("**/login")
    log_in(page, staff)  # back: the queue is there and goes
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    sync_now(page)
    wait_waiting(page, 0)
    assert tally_days(site) == {today().isoformat(): 7}


def test_the_ordinary_forms_queue_what_was_typed_when_the_network_is_gone(phone, server, outreach):
    page = phone
    site, items, staff = outreach
    log_in(page, staff)  # lands on the daily form; the data is stored for the phone
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    page.goto(f"/steder/{site.code}/nalokson")
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    server.stop()
    page.fill("#quantity", "2")
    page.check("input[name=first_time][value=no]")
    page.select_option("#refill_reason", "lost")
    page.click("button.primary.big")
    wait_waiting(page, 1)
    assert "/nalokson" in page.url  # the page stayed; what was typed is queued

    server.start()
    page.goto(f"/steder/{site.code}/utdeling")
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    wait_waiting(page, 0)  # sent on load
    server.stop()
    page.fill(f"#item_{items['syringes'].id}", "12")
    page.fill("#contacts", "4")
    page.click("button.primary.big")
    wait_waiting(page, 1)
    screenshot(page, "offline-daily-form-queued")
    server.start()
    sync_now(page)
    wait_waiting(page, 0)
    assert tally_days(site) == {today().isoformat(): 12}
    db.session.remove()
    handout = db.session.scalars(select(NaloxoneHandout)).one()
    assert handout.quantity == 2
    assert handout.first_time is False
    assert handout.refill_reason == "lost"
    db.session.remove()

    page.fill(f"#item_{items['syringes'].id}", "3")  # online: the form posts as before
    page.click("button.primary.big")
    page.locator(".receipt").wait_for()
    assert tally_days(site) == {today().isoformat(): 15}


def test_the_backdating_window_counts_from_the_devices_time_of_entry(phone, server, outreach):
    """Made two days ago on the phone, dated 15 days back: inside the 14 days from when it was
    made, though not from when it reaches the server; the same date made now is refused."""
    from datetime import datetime

    page = phone
    site, _items, staff = outreach
    log_in(page, staff)
    open_offline_form(page)
    server.stop()
    old_day = today() - timedelta(days=15)
    page.clock.set_system_time(datetime.now() - timedelta(days=2))
    enter_day(page, old_day, 8)
    wait_waiting(page, 1)
    page.clock.set_system_time(datetime.now())
    enter_day(page, old_day, 9)
    wait_waiting(page, 2)
    server.start()
    sync_now(page)
    page.locator(".queue-entry[data-status=refused]").wait_for()
    wait_waiting(page, 0)
    assert tally_days(site) == {old_day.isoformat(): 8}


def rows(model) -> list:
    db.session.remove()
    found = db.session.scalars(select(model)).all()
    db.session.remove()
    return found


def test_an_overdose_and_a_referral_entered_offline_are_each_counted_once(phone, server, outreach):
    page = phone
    site, _items, staff = outreach
    log_in(page, staff)
    open_offline_form(page)
    server.stop()
    page.check("input[name=offline-place][value=outreach]")
    page.fill("#offline-doses", "2")
    page.check("#offline-cpr")
    page.check("#offline-ambulance")
    page.select_option("#offline-outcome", "to_hospital")
    page.click("form[data-offline-form=overdose] button[type=submit]")
    wait_waiting(page, 1)
    page.select_option("#offline-referral-to", "legevakt")
    page.fill("#offline-referral-count", "3")
    page.click("form[data-offline-form=referral] button[type=submit]")
    wait_waiting(page, 2)
    assert "Overdose" in page.inner_text("#offline-queue")
    assert "Henvisning" in page.inner_text("#offline-queue")
    assert rows(OverdoseEvent) == []
    assert rows(Referral) == []

    server.start()
    sync_now(page)
    wait_waiting(page, 0)
    assert page.locator(".queue-entry.status-sent").count() == 2
    sync_now(page)  # sending again changes nothing
    [event] = rows(OverdoseEvent)
    assert (event.place, event.naloxone_doses, event.outcome) == ("outreach", 2, "to_hospital")
    assert (event.oxygen_given, event.cpr_given, event.ambulance_called) == (False, True, True)
    assert event.event_date == today()
    [referral] = rows(Referral)
    assert (referral.destination, referral.quantity, referral.referred_on) == (
        "legevakt",
        3,
        today(),
    )
