"""The stock page (warnings, days left, trend chart) and the goods received form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import actor, login, make_item, make_lot, make_site, make_user
from tests.web.pages import form_post, hidden, inline_scripts
from tracker.dates import today
from tracker.extensions import db
from tracker.models import KitContent, Receipt, StockBalance
from tracker.services import catalog, stock, tallies


@pytest.fixture
def site(app):
    return make_site("OSL-MO")


@pytest.fixture
def lead(site):
    return make_user("lead", [site])


def receive(user, site, item, quantity, lot=None, expiry=None, on=None):
    line = {"item": item.code, "quantity": quantity}
    if lot:
        line.update(lot=lot, expiry=expiry)
    stock.receive(actor(user), site_code=site.code, received_on=on or today(), lines=[line])


def hand_out(user, site, item, quantity, on=None):
    tallies.create_tally(
        actor(user),
        site_code=site.code,
        entry_date=on or today(),
        contacts=1,
        lines=[{"item": item.code, "quantity": quantity}],
    )


def test_the_stock_page_flags_expiry_reorder_and_negative_stock(client, site, lead):
    naloxone = make_item("NAL", "naloxone")
    syringes = make_item("SPR-2", "syringe")
    foil = make_item("FOLIE", "foil")
    make_lot(naloxone, "OLD", today() - timedelta(days=3))
    # first: the earliest receipt sets the stock start (invariant 9)
    receive(lead, site, naloxone, 2, "OLD", None, on=today() - timedelta(days=10))
    receive(lead, site, naloxone, 5, "SOON", today() + timedelta(days=20))
    receive(lead, site, naloxone, 5, "LATER", today() + timedelta(days=60))
    receive(lead, site, naloxone, 5, "FAR", today() + timedelta(days=400))
    receive(lead, site, syringes, 50)
    catalog.set_levels(actor(lead), site.code, syringes.code, reorder_level=100, target_level=500)
    hand_out(lead, site, foil, 7)
    login(client, lead)
    html = client.get("/steder/OSL-MO/lager").get_data(as_text=True)
    assert html.count('class="tag tag-expired"') == 2  # legend + the OLD lot
    assert html.count('class="tag tag-30"') == 2  # legend + SOON
    assert html.count('class="tag tag-90"') == 2  # legend + LATER
    assert 'class="negative ' in html  # the foil went below zero
    assert "−7" in html or "-7" in html
    assert "reorder" in html
    assert "bestill" in html
    assert "<svg" in html
    assert "<polyline" in html
    assert inline_scripts(html) == []


def test_days_left_use_the_last_28_days(client, site, lead):
    syringes = make_item("SPR-2", "syringe")
    receive(lead, site, syringes, 1000, on=today() - timedelta(days=30))
    hand_out(lead, site, syringes, 280, on=today() - timedelta(days=5))
    login(client, lead)
    html = client.get("/steder/OSL-MO/lager").get_data(as_text=True)
    # 720 on hand at 10 a day: 72 days.
    assert ">72<" in html.replace(" ", "").replace("\n", "")


def test_a_negative_balance_shows_tomt_and_the_discrepancy_not_negative_days(client, site, lead):
    syringes = make_item("SPR-2", "syringe")
    receive(lead, site, syringes, 100, on=today() - timedelta(days=30))
    hand_out(lead, site, syringes, 280, on=today() - timedelta(days=5))  # 10 a day, -180 left
    login(client, lead)
    html = client.get("/steder/OSL-MO/lager").get_data(as_text=True)
    cell = re.search(r'data-label="Dager igjen">(.*?)</td>', html, re.S).group(1)
    assert "tomt" in cell
    assert re.search(r"avvik [−-]180", cell)
    assert "-18,0" not in html  # -180 / 10 a day would have read as -18 days


def test_the_trend_counts_weeks_per_category(site, lead):
    syringes = make_item("SPR-2", "syringe")
    hand_out(lead, site, syringes, 10, on=today())
    hand_out(lead, site, syringes, 4, on=today() - timedelta(days=7))
    weeks, trend = stock.weekly_distribution(site.id, today())
    assert len(weeks) == 12
    assert trend["syringe"][-1] == 10
    assert trend["syringe"][-2] == 4
    assert sum(trend["syringe"]) == 14


def test_the_trend_counts_a_kit_as_its_contents_not_under_its_own_category(site, lead):
    syringes = make_item("SPR-2", "syringe")
    foil = make_item("FOLIE", "foil")
    kit = make_item("PAKKE", "other")
    db.session.add_all(
        [
            KitContent(kit_id=kit.id, item_id=syringes.id, quantity=10),
            KitContent(kit_id=kit.id, item_id=foil.id, quantity=2),
        ]
    )
    db.session.commit()
    hand_out(lead, site, syringes, 4, on=today())
    hand_out(lead, site, kit, 3, on=today())
    _, trend = stock.weekly_distribution(site.id, today())
    assert trend["syringe"][-1] == 4 + 30
    assert trend["foil"][-1] == 6
    assert "other" not in trend  # the kit itself is not a figure of its category


def test_staff_see_their_stock_but_not_another_sites(client, site):
    other = make_site("BGO-MO", "4601")
    staff = make_user("staff", [site])
    login(client, staff)
    assert client.get("/steder/OSL-MO/lager").status_code == 200
    assert client.get(f"/steder/{other.code}/lager").status_code == 403


def balance(item) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(StockBalance.quantity), 0)).where(
            StockBalance.item_id == item.id
        )
    )


def test_goods_received_adds_stock_with_lot_and_expiry(client, site, lead):
    syringes = make_item("SPR-2", "syringe")
    naloxone = make_item("NAL", "naloxone")
    login(client, lead)
    expiry = (today() + timedelta(days=300)).isoformat()
    response = form_post(
        client,
        "/steder/OSL-MO/mottak",
        {
            f"item_{syringes.id}": "500",
            f"item_{naloxone.id}": "12",
            f"lot_{naloxone.id}": "L-77",
            f"expiry_{naloxone.id}": expiry,
        },
    )
    assert response.status_code == 302
    assert balance(syringes) == 500
    assert balance(naloxone) == 12
    assert "L-77" in client.get("/steder/OSL-MO/lager").get_data(as_text=True)


def test_goods_received_without_a_lot_for_a_lot_item_saves_nothing(client, site, lead):
    syringes = make_item("SPR-2", "syringe")
    naloxone = make_item("NAL", "naloxone")
    login(client, lead)
    response = form_post(
        client, "/steder/OSL-MO/mottak", {f"item_{syringes.id}": "5", f"item_{naloxone.id}": "3"}
    )
    assert response.status_code == 422
    assert "Ugyldig verdi." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 0
    assert balance(syringes) == 0


def test_goods_received_twice_with_one_form_saves_once(client, site, lead):
    syringes = make_item("SPR-2", "syringe")
    login(client, lead)
    html = client.get("/steder/OSL-MO/mottak").get_data(as_text=True)
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        f"item_{syringes.id}": "100",
    }
    assert client.post("/steder/OSL-MO/mottak", data=body).status_code == 302
    assert client.post("/steder/OSL-MO/mottak", data=body).status_code == 302
    assert balance(syringes) == 100


def test_goods_received_without_csrf_is_refused(client, site, lead):
    syringes = make_item("SPR-2", "syringe")
    login(client, lead)
    html = client.get("/steder/OSL-MO/mottak").get_data(as_text=True)
    response = client.post(
        "/steder/OSL-MO/mottak",
        data={"form_key": hidden(html, "form_key"), f"item_{syringes.id}": "100"},
    )
    assert response.status_code == 400
    assert balance(syringes) == 0


def test_a_bad_expiry_gets_a_norwegian_field_error(client, site, lead):
    naloxone = make_item("NAL", "naloxone")
    login(client, lead)
    response = form_post(
        client,
        "/steder/OSL-MO/mottak",
        {f"item_{naloxone.id}": "3", f"lot_{naloxone.id}": "L1", f"expiry_{naloxone.id}": "snart"},
    )
    assert response.status_code == 422
    assert "Skriv en dato som dd.mm.åååå." in response.get_data(as_text=True)
    assert balance(naloxone) == 0


def _stock_page_queries(client, items: int, sites: int) -> int:
    """Statements the stock page sends for one site of a lead of `sites` sites with `items`."""
    from tests.querycount import count_queries

    rows = [make_site(f"Q{items}-{sites}-{n}") for n in range(sites)]
    user = make_user("lead", rows, email=f"q{items}-{sites}@test.no")
    target = rows[-1]
    for n in range(items):
        item = make_item(f"Q{items}-{sites}-I{n}", "naloxone" if n % 2 else "syringe")
        if n % 2:
            lot = make_lot(item, expiry=today() + timedelta(days=20 + n))
            receive(user, target, item, 5, lot=lot.lot_number, expiry=lot.expiry)
        else:
            receive(user, target, item, 5)
            hand_out(user, target, item, 1, on=today() - timedelta(days=n % 28))
    login(client, user)
    client.get(f"/steder/{target.code}/lager")  # warm: the session's user and locale
    with count_queries() as counter:
        response = client.get(f"/steder/{target.code}/lager")
    assert response.status_code == 200
    return counter.count


def test_the_stock_page_sends_as_many_queries_for_50_items_and_sites_as_for_1(client):
    """No N+1 on the page: items, lots and the lead's other sites cost no extra statements."""
    assert _stock_page_queries(client, 1, 1) == _stock_page_queries(client, 50, 50)
