"""No N+1: stock queries do not grow with the number of items, lots or sites.

The stock page (tracker/web/stock.py, built on another branch) reads the same service
functions as the API (stock.on_hand, stock.usage_per_day); their counts are checked here too.
"""

from datetime import timedelta

from tests.factories import (
    actor,
    api_client,
    make_item,
    make_lot,
    make_site,
    make_user,
    receipt_body,
    tally_body,
)
from tests.querycount import count_queries
from tracker.dates import today
from tracker.extensions import db
from tracker.services import stock


def _stock_queries(client, items: int) -> int:
    site = make_site()
    api = api_client(client, make_user("lead", [site]))
    lines = []
    plain = []
    for n in range(items):
        item = make_item(f"I{items}-{n}", "naloxone" if n % 2 else "syringe")
        if n % 2:
            lot = make_lot(item, expiry=today() + timedelta(days=40 + n))
            lines.append({"item": item.code, "quantity": 5, "lot": lot.lot_number})
        else:
            lines.append({"item": item.code, "quantity": 5})
            plain.append(item.code)
    body = {"site": site.code, "date": today().isoformat(), "lines": lines}
    assert api.post("/receipts", body).status_code == 201
    assert api.post("/tallies", tally_body(site, dict.fromkeys(plain, 1))).status_code == 201
    with count_queries() as counter:
        response = api.get(f"/stock?site={site.code}")
    assert response.status_code == 200
    assert len(response.get_json()) >= items
    return counter.count


def test_stock_api_queries_do_not_grow_with_items_and_lots(client):
    assert _stock_queries(client, 1) == _stock_queries(client, 50)


def _stock_queries_for_a_lead_of(client, sites: int) -> int:
    """A lead of many sites (their memberships load with the token) asks for one site."""
    site_rows = [make_site() for _ in range(sites)]
    item = make_item()
    api = api_client(client, make_user("lead", site_rows))
    for site in site_rows[:5]:
        assert api.post("/receipts", receipt_body(site, {item.code: 5})).status_code == 201
    with count_queries() as counter:
        response = api.get(f"/stock?site={site_rows[-1].code}")
    assert response.status_code == 200
    return counter.count


def test_stock_api_queries_do_not_grow_with_the_sites_of_the_user(client):
    assert _stock_queries_for_a_lead_of(client, 1) == _stock_queries_for_a_lead_of(client, 50)


def _service_queries(app, sites: int, items: int) -> tuple[int, int]:
    site_rows = [make_site() for _ in range(sites)]
    item_rows = [make_item() for _ in range(items)]
    lead = make_user("lead", site_rows)
    for site in site_rows:
        stock.receive(
            actor(lead),
            site_code=site.code,
            received_on=today(),
            lines=[{"item": i.code, "quantity": 9} for i in item_rows],
        )
    with count_queries() as usage:
        rates = stock.usage_per_day([s.id for s in site_rows], today())
    assert isinstance(rates, dict)
    with count_queries() as on_hand:
        lines = stock.on_hand(actor(lead), site_rows[0].code)
    assert len(lines) >= items
    return usage.count, on_hand.count


def test_stock_service_queries_are_the_same_for_1_and_50_sites_and_items(app):
    assert _service_queries(app, 1, 1) == _service_queries(app, 50, 50)


def _receipt_queries(client, lines: int) -> int:
    site = make_site()
    codes = [make_item().code for _ in range(lines)]
    api = api_client(client, make_user("lead", [site]))
    with count_queries() as counter:
        response = api.post("/receipts", receipt_body(site, dict.fromkeys(codes, 3)))
    assert response.status_code == 201
    return counter.count


def test_a_receipt_sends_the_same_queries_for_1_and_50_lines(client):
    """Items are read in one query, the ledger rows written in one, the response's lines
    loaded in one: nothing is done once per line."""
    assert _receipt_queries(client, 1) == _receipt_queries(client, 50)


def _tally_queries(client, lines: int, lot_items: bool = False) -> list[str]:
    """The statements of one tally POST (3 of each item handed out; a lot item's 3 split
    over its two lots of 2, first expiry first out)."""
    site = make_site()
    api = api_client(client, make_user("lead", [site]))
    codes, receipt = [], []
    for n in range(lines):
        item = make_item(tracks_lots=lot_items)
        codes.append(item.code)
        if not lot_items:
            receipt.append({"item": item.code, "quantity": 2})
        for days in (40, 80) if lot_items else ():
            lot = make_lot(item, expiry=today() + timedelta(days=days + n))
            receipt.append({"item": item.code, "quantity": 2, "lot": lot.lot_number})
    body = {"site": site.code, "date": today().isoformat(), "lines": receipt}
    assert api.post("/receipts", body).status_code == 201  # also the token's first use
    with count_queries() as counter:
        response = api.post("/tallies", tally_body(site, dict.fromkeys(codes, 3)))
    assert response.status_code == 201, response.get_json()
    return counter.statements


def test_a_tally_sends_the_same_queries_for_1_and_20_lines(client):
    assert len(_tally_queries(client, 1)) == len(_tally_queries(client, 20))


def test_a_tally_of_lot_items_sends_the_same_queries_for_1_and_8_items(client):
    """Every lot item's balances are read (and locked) in one query, their lots in one, and
    the first lot of each line is picked from them: nothing per line."""
    one, eight = _tally_queries(client, 1, True), _tally_queries(client, 8, True)
    assert len(one) == len(eight)
    assert len(one) <= len(_tally_queries(client, 1)) + 2
    if db.engine.dialect.name == "postgresql":
        # one lock on all eight items' balance rows, in the ledger's (item, lot) order:
        # entries naming the same lot items in other orders cannot deadlock
        locks = [s for s in eight if "FOR NO KEY UPDATE" in s and "FROM stock_balance" in s]
        assert len(locks) == 1
        assert "ORDER BY stock_balance.item_id, stock_balance.lot_key" in locks[0]


def test_a_tally_post_sends_at_most_15_statements(client):
    """Token, site (on PostgreSQL read FOR SHARE: the period lock), items with the site's
    choices, the period check; entry, lines, audit, movements; balances, daily and monthly
    stock, daily and monthly distribution, contacts (one statement each for all lines);
    the negative-balance check. Issue 16: fewer round trips; this count only goes down."""
    statements = _tally_queries(client, 3)
    assert len(statements) <= 15, "\n".join(s[:100] for s in statements)
    site_reads = [s for s in statements if "FROM site " in s and "site.code" in s]
    if db.engine.dialect.name == "postgresql":
        assert len(site_reads) == 1
        assert "FOR SHARE" in site_reads[0]
        assert not any(s.lstrip().startswith("SELECT site.id \nFROM site") for s in statements)
    assert not any("FROM site_item" in s and "item.code" not in s for s in statements)
