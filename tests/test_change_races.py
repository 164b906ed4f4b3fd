"""Invariant 8 under real parallel load: a change to an existing row has exactly one effect.

Real gunicorn workers (4) on the test database (SQLite or PostgreSQL, per TEST_DB); every
entry is changed or deleted by several clients at the same moment.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from tests.factories import (
    PASSWORD,
    api_client,
    make_item,
    make_site,
    make_token,
    make_user,
    receipt_body,
    tally_body,
)
from tests.servers import gunicorn
from tests.web.pages import hidden
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Discrepancy,
    Lot,
    SiteItem,
    StockBalance,
    StockCount,
    StockMovement,
    TallyEntry,
    TallyLine,
    User,
)
from tracker.services import ledger_check

ENTRIES = 8
CLIENTS = 4
RECEIVED = 1000


def _world(http_post):
    """A site with stock and ENTRIES entries of 10 + n syringes each; returns the ids."""
    site = make_site("OSL-RACE")
    make_item("SPR-2")
    make_item("KAN-23", "needle")
    token = make_token(make_user("staff", [site]))
    headers = {"Authorization": f"Bearer {token}"}
    assert http_post("/api/v1/receipts", receipt_body(site, {"SPR-2": RECEIVED}), headers) == 201
    ids = []
    for n in range(ENTRIES):
        body = tally_body(site, {"SPR-2": 10 + n, "KAN-23": 5}, contacts=3)
        ids.append(http_post("/api/v1/tallies", body, headers))
    return site, headers, ids


def _in_process(client):
    def post(path, body, headers):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json().get("id", 201) if path.endswith("tallies") else 201

    return post


def _all_at_once(jobs, send):
    """Run every job in its own thread, released together so the requests really overlap."""
    start = threading.Barrier(len(jobs))

    def run(job):
        start.wait()
        return send(job)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _session():
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=ENTRIES * CLIENTS))
    return http


def _lines_and_movements() -> tuple[dict, dict]:
    """Per (entry, item): the live line quantity, and minus the sum of its movements."""
    lines = {
        (tally_id, item_id): quantity
        for tally_id, item_id, quantity in db.session.execute(
            select(TallyLine.tally_id, TallyLine.item_id, TallyLine.quantity)
            .join(TallyEntry)
            .where(TallyEntry.deleted_at.is_(None))
        )
    }
    moved = defaultdict(int)
    for tally_id, item_id, quantity in db.session.execute(
        select(StockMovement.tally_id, StockMovement.item_id, func.sum(StockMovement.quantity))
        .where(StockMovement.tally_id.is_not(None))
        .group_by(StockMovement.tally_id, StockMovement.item_id)
    ):
        if quantity:
            moved[(tally_id, item_id)] = -int(quantity)
    return lines, dict(moved)


def _on_hand(site, code) -> int:
    from tracker.models import Item

    return db.session.scalar(
        select(StockBalance.quantity)
        .join(Item, Item.id == StockBalance.item_id)
        .where(StockBalance.site_id == site.id, Item.code == code)
    )


@pytest.mark.slow
def test_racing_deletes_of_an_entry_take_effect_once(app, client, database_uri):
    site, headers, ids = _world(_in_process(client))
    doomed, kept = ids[: ENTRIES // 2], ids[ENTRIES // 2 :]
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def delete(tally_id):
            response = http.delete(f"{base}/api/v1/tallies/{tally_id}", headers=headers, timeout=60)
            return tally_id, response.status_code, response.json()

        results = _all_at_once([i for i in doomed for _ in range(CLIENTS)], delete)
    statuses = [status for _, status, _ in results]
    assert statuses.count(200) == len(doomed), {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(409) == len(doomed) * (CLIENTS - 1)
    for tally_id in doomed:
        assert sorted(s for i, s, _ in results if i == tally_id) == [200] + [409] * (CLIENTS - 1)
    assert all("allerede slettet" in body["detail"] for _, s, body in results if s == 409)

    lines, moved = _lines_and_movements()
    assert lines == moved  # deleted entries have no lines left and net zero movements
    kept_syringes = sum(10 + ids.index(i) for i in kept)
    assert _on_hand(site, "SPR-2") == RECEIVED - kept_syringes
    assert _on_hand(site, "KAN-23") == -5 * len(kept)
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_racing_edits_of_an_entry_apply_one_after_another(app, client, database_uri):
    site, headers, ids = _world(_in_process(client))
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def patch(job):
            tally_id, n = job
            body = {"lines": [{"item": "SPR-2", "quantity": 20 + 7 * n}], "contacts": n}
            response = http.patch(
                f"{base}/api/v1/tallies/{tally_id}", json=body, headers=headers, timeout=60
            )
            return response.status_code

        statuses = _all_at_once([(i, n) for i in ids for n in range(CLIENTS)], patch)
    assert statuses == [200] * len(statuses), {s: statuses.count(s) for s in set(statuses)}

    lines, moved = _lines_and_movements()
    assert lines == moved  # each entry's lines are the net of its movements
    entries = db.session.scalars(select(TallyEntry)).all()
    for entry in entries:
        # one of the racers won, whole: its quantity and its contacts, no needles left
        (line,) = entry.lines
        assert (line.quantity - 20) / 7 == entry.contacts
    assert _on_hand(site, "SPR-2") == RECEIVED - sum(lines.values())
    assert _on_hand(site, "KAN-23") == 0
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_racing_edits_that_read_the_same_version_apply_once_the_rest_get_412(
    app, client, database_uri
):
    site, headers, ids = _world(_in_process(client))
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def patch(job):
            tally_id, n = job
            body = {"lines": [{"item": "SPR-2", "quantity": 20 + 7 * n}], "contacts": n}
            response = http.patch(
                f"{base}/api/v1/tallies/{tally_id}",
                json=body,
                headers={**headers, "If-Match": '"1"'},  # all read the entry as created
                timeout=60,
            )
            return tally_id, response.status_code, response.headers.get("Content-Type")

        results = _all_at_once([(i, n) for i in ids for n in range(CLIENTS)], patch)
    for tally_id in ids:
        statuses = sorted(status for i, status, _ in results if i == tally_id)
        assert statuses == [200] + [412] * (CLIENTS - 1), (tally_id, statuses)
    assert {kind for _, status, kind in results if status == 412} == {"application/problem+json"}

    lines, moved = _lines_and_movements()
    assert lines == moved
    assert {entry.version for entry in db.session.scalars(select(TallyEntry))} == {2}
    assert _on_hand(site, "SPR-2") == RECEIVED - sum(lines.values())
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_a_double_tapped_web_delete_deletes_once_and_every_tap_gets_the_receipt(
    app, client, database_uri
):
    """Four taps of one delete button (one form key) at once: one reversal, no 409 page."""
    site, _, ids = _world(_in_process(client))
    email, tally_id = db.session.scalars(select(User.email)).one(), ids[0]
    db.session.remove()
    with gunicorn(database_uri) as base, requests.Session() as browser:
        login = browser.get(f"{base}/login").text
        browser.post(
            f"{base}/login",
            data={"csrf_token": hidden(login, "csrf_token"), "email": email, "password": PASSWORD},
        )
        page = browser.get(f"{base}/steder/{site.code}/utdeling/{tally_id}/endre")
        assert page.status_code == 200, page.status_code
        body = {k: hidden(page.text, k) for k in ("csrf_token", "form_key")}
        url = f"{base}/steder/{site.code}/utdeling/{tally_id}/slett"

        def tap(_):
            response = browser.post(url, data=body, allow_redirects=False, timeout=60)
            return response.status_code, response.headers.get("Location")

        taps = _all_at_once(range(CLIENTS), tap)
    assert {status for status, _ in taps} == {302}, taps
    assert len({location for _, location in taps}) == 1
    lines, moved = _lines_and_movements()
    assert lines == moved
    reversals = select(func.count()).where(
        StockMovement.tally_id == tally_id, StockMovement.kind == "correction"
    )
    assert db.session.scalar(reversals) == 2  # syringes and needles, once each
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_racing_closes_and_line_changes_of_a_count_close_it_once_from_its_final_lines(
    app, client, database_uri
):
    site = make_site("OSL-CNT")
    make_item("SPR-2")
    token = make_token(make_user("lead", [site]))
    api = api_client(client, None)
    api.token = token
    assert api.post("/receipts", receipt_body(site, {"SPR-2": 100})).status_code == 201
    count_id = api.post("/stock-counts", {"site": site.code}).get_json()["id"]
    lines = {"lines": [{"item": "SPR-2", "quantity": 90}]}
    saved = api.put(f"/stock-counts/{count_id}/lines", lines)
    assert saved.status_code == 200
    reasons = {str(saved.get_json()["lines"][0]["id"]): "lost"}  # kept while lines change
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:
        headers = {"Authorization": f"Bearer {token}"}

        def send(n):
            if n % 2:
                return "close", http.post(
                    f"{base}/api/v1/stock-counts/{count_id}/close",
                    json={"reasons": reasons},
                    headers=headers,
                    timeout=60,
                ).status_code
            body = {"lines": [{"item": "SPR-2", "quantity": 80 + n}]}
            return "lines", http.put(
                f"{base}/api/v1/stock-counts/{count_id}/lines",
                json=body,
                headers=headers,
                timeout=60,
            ).status_code

        results = _all_at_once(range(2 * CLIENTS), send)
    closes = sorted(status for kind, status in results if kind == "close")
    assert closes == [200] + [409] * (CLIENTS - 1), results
    assert {status for kind, status in results if kind == "lines"} <= {200, 409}

    count = db.session.get(StockCount, count_id)
    (line,) = count.lines
    adjusted = db.session.scalar(
        select(func.sum(StockMovement.quantity)).where(StockMovement.stock_count_id == count_id)
    )
    assert count.status == "closed"
    assert line.variance == line.counted_quantity - 100 == adjusted
    assert db.session.scalar(select(StockBalance.quantity)) == line.counted_quantity
    assert ledger_check.verify() == []


@pytest.mark.slow
def test_racing_resolves_of_a_discrepancy_resolve_it_once(app, client, database_uri):
    site = make_site("OSL-DSC")
    make_item("SPR-2")
    token = make_token(make_user("lead", [site]))
    api = api_client(client, None)
    api.token = token
    assert api.post("/tallies", tally_body(site, {"SPR-2": 5})).status_code == 201  # below 0
    (discrepancy_id,) = db.session.scalars(select(Discrepancy.id)).all()
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:

        def resolve(n):
            return http.post(
                f"{base}/api/v1/discrepancies/{discrepancy_id}/resolve",
                json={"note": f"Telt opp igjen, runde {n}"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ).status_code

        statuses = _all_at_once(range(CLIENTS), resolve)
    assert sorted(statuses) == [200] + [409] * (CLIENTS - 1), statuses
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "discrepancy", AuditEvent.action == "resolve")
    ).all()
    assert len(events) == 1
    assert db.session.get(Discrepancy, discrepancy_id).resolution == events[0].after["note"]


@pytest.mark.slow
def test_rows_created_by_racing_requests_are_created_once_without_errors(app, client, database_uri):
    """New lots named by parallel receipts, items' first levels set by parallel PUTs."""
    site = make_site("OSL-LOT")
    rounds = ["NAL-0", "NAL-1", "NAL-2"]  # NAL-0 warms the workers up
    for code in rounds:
        make_item(code, "naloxone")
    token = make_token(make_user("lead", [site]))
    db.session.remove()
    with gunicorn(database_uri) as base, _session() as http:
        headers = {"Authorization": f"Bearer {token}"}

        def send(job):
            code, n = job
            if n % 2:
                return http.put(
                    f"{base}/api/v1/sites/{site.code}/items/{code}/levels",
                    json={"reorder_level": n, "target_level": 10 * n},
                    headers=headers,
                    timeout=60,
                ).status_code
            line = {"item": code, "quantity": 10, "lot": f"{code}-A", "expiry": "2030-01-31"}
            body = {**receipt_body(site, {}), "lines": [line]}
            return http.post(
                f"{base}/api/v1/receipts", json=body, headers=headers, timeout=60
            ).status_code

        for code in rounds:
            statuses = _all_at_once([(code, n) for n in range(2 * CLIENTS)], send)
            assert sorted(statuses) == [200] * CLIENTS + [201] * CLIENTS, (code, statuses)
    assert db.session.scalar(select(func.count()).select_from(Lot)) == len(rounds)
    assert set(db.session.scalars(select(StockBalance.quantity))) == {10 * CLIENTS}
    for level in db.session.scalars(select(SiteItem)):
        assert level.target_level == 10 * level.reorder_level  # one PUT's values, whole
    assert ledger_check.verify() == []
