"""Pages for transfers, counts, discards, reorder/expiry and discrepancies (session login)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import balance, receive, receive_lot, stock_world
from tests.factories import login, make_user, tally_body
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Discrepancy, StockCount, StockMovement, Transfer

PAGES = ["/overforinger", "/overforinger/ny", "/varetelling", "/kassering", "/bestilling", "/avvik"]


@pytest.fixture
def world(client):
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 100})
    world["lead_user"] = make_user("lead", [world["a"]], email="leder@test.no")
    world["receiver_user"] = make_user("lead", [world["b"]], email="mottaker@test.no")
    world["staff_user"] = make_user("staff", [world["a"]], email="ansatt@test.no")
    return world


def token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_a_lead(client, world, path):
    login(client, world["lead_user"])
    response = client.get(path)
    assert response.status_code == 200
    assert 'lang="nb"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_login(client, world, path):
    assert client.get(path).status_code in (302, 401)


def test_the_menu_shows_stock_pages_to_leads_not_staff(client, world):
    login(client, world["lead_user"])
    assert "/varetelling" in client.get("/").get_data(as_text=True)
    client.get("/")  # same client, new login below
    other = client.application.test_client()
    login(other, world["staff_user"])
    assert "/varetelling" not in other.get("/").get_data(as_text=True)


def test_ship_and_receive_through_the_forms(client, world):
    login(client, world["lead_user"])
    form = {
        "from_site": "OSL-MO",
        "to_site": "OSL-SR",
        "date": today().isoformat(),
        "lines-0-item": "SPR-2",
        "lines-0-quantity": "30",
    }
    response = form_post(client, "/overforinger/ny", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    transfer = db.session.scalars(select(Transfer)).one()
    assert balance(world["a"], "SPR-2") == 70
    assert "Underveis" in client.get("/overforinger").get_data(as_text=True)

    receiver = client.application.test_client()
    login(receiver, world["receiver_user"])
    path = f"/overforinger/{transfer.id}/motta"
    line_id = transfer.lines[0].id
    response = receiver.post(
        path,
        data={
            "csrf_token": token(receiver, path),
            "date": today().isoformat(),
            f"received-{line_id}": "28",
        },
    )
    assert response.status_code == 302
    assert balance(world["b"], "SPR-2") == 28
    assert db.session.scalars(select(Discrepancy.kind)).all() == ["transfer_shortfall"]


def test_shipping_too_much_through_the_form_says_why_and_writes_nothing(client, world):
    login(client, world["lead_user"])
    form = {
        "from_site": "OSL-MO",
        "to_site": "OSL-SR",
        "date": today().isoformat(),
        "lines-0-item": "SPR-2",
        "lines-0-quantity": "300",
    }
    response = form_post(client, "/overforinger/ny", form)
    assert response.status_code == 409
    assert "100 på lager" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 0


def test_a_form_without_csrf_is_refused(client, world):
    login(client, world["lead_user"])
    response = client.post(
        "/kassering",
        data={
            "site": "OSL-MO",
            "date": today().isoformat(),
            "item": "SPR-2",
            "quantity": "1",
            "reason": "lost",
        },
    )
    assert response.status_code in (400, 422)
    assert balance(world["a"], "SPR-2") == 100


def test_a_count_through_the_sheet(client, world):
    login(client, world["lead_user"])
    response = client.post(
        "/varetelling", data={"csrf_token": token(client, "/varetelling"), "site": "OSL-MO"}
    )
    assert response.status_code == 302
    count = db.session.scalars(select(StockCount)).one()
    path = f"/varetelling/{count.id}"
    sheet = client.get(path).get_data(as_text=True)
    assert 'name="q|SPR-2|"' in sheet
    assert (
        client.post(path, data={"csrf_token": token(client, path), "q|SPR-2|": "x"}).status_code
        == 422
    )
    saved = client.post(path, data={"csrf_token": token(client, path), "q|SPR-2|": "96"})
    assert saved.status_code == 302
    assert "forventet" not in client.get(path).get_data(as_text=True)  # counting is blind
    asked = client.post(f"{path}/avslutt", data={"csrf_token": token(client, path)})
    assert asked.status_code == 409  # step one: the lines that differ, each needs a reason
    page = asked.get_data(as_text=True)
    line = db.session.scalars(select(StockCount)).one().lines[0]
    assert f'name="reason-{line.id}"' in page
    assert "Tellefeil" in page
    assert balance(world["a"], "SPR-2") == 100  # nothing written yet
    csrf = hidden(page, "csrf_token")
    closed = client.post(
        f"{path}/avslutt",
        data={"csrf_token": csrf, f"reason-{line.id}": "stolen", "note": "skapet stod åpent"},
    )
    assert closed.status_code == 302
    assert balance(world["a"], "SPR-2") == 96
    sheet = client.get(path).get_data(as_text=True)
    assert "-4" in sheet
    assert "Stjålet" in sheet
    assert "grunn: Stjålet" in client.get("/avvik").get_data(as_text=True)


def test_a_discard_through_the_form_accepts_an_expired_lot(client, world):
    from tests.api.test_discards import expired_lot

    expired_lot(world, quantity=2)
    login(client, world["lead_user"])
    form = {
        "csrf_token": token(client, "/kassering"),
        "site": "OSL-MO",
        "date": today().isoformat(),
        "item": "NALOKSON",
        "lot": "OLD",
        "quantity": "2",
        "reason": "expired",
    }
    assert client.post("/kassering", data=form).status_code == 302
    assert balance(world["a"], "NALOKSON") == 0
    form["quantity"] = "1"
    assert client.post("/kassering", data=form).status_code == 409


def test_the_reorder_page_shows_suggestions_and_expiring_lots(client, world):
    world["lead_a"].put(
        "/sites/OSL-MO/items/SPR-2/levels", {"reorder_level": 150, "target_level": 1200}
    )
    receive_lot(world["lead_a"], world["a"], "NALOKSON", "NX-SOON", 3, 20)
    login(client, world["lead_user"])
    html = client.get("/bestilling?sted=OSL-MO").get_data(as_text=True)
    assert "1 100" in html  # 1200 - 100, Norwegian thousands
    assert "NX-SOON" in html
    assert (today() + timedelta(days=20)).strftime("%d.%m.%Y") in html


def test_a_lead_resolves_a_discrepancy_on_the_page(client, world):
    world["staff_a"].post("/tallies", tally_body(world["a"], {"SPR-2": 101}))
    found = db.session.scalars(select(Discrepancy)).one()
    login(client, world["lead_user"])
    assert "Negativ beholdning" in client.get("/avvik").get_data(as_text=True)
    response = client.post(
        f"/avvik/{found.id}/lukk",
        data={"csrf_token": token(client, "/avvik"), "note": "Varemottak glemt, ført nå"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Discrepancy, found.id).resolution == "Varemottak glemt, ført nå"
    assert "av Test Bruker: Varemottak glemt" in client.get("/avvik").get_data(as_text=True)


def test_staff_see_no_discard_form_and_other_leads_are_refused(client, world):
    login(client, world["staff_user"])
    assert "ikke stedsleder" in client.get("/kassering").get_data(as_text=True)
    other = client.application.test_client()
    login(other, world["receiver_user"])
    before = db.session.scalar(select(func.count()).select_from(StockMovement))
    response = other.post(
        "/kassering",
        data={
            "csrf_token": token(other, "/kassering"),
            "site": "OSL-MO",
            "date": today().isoformat(),
            "item": "SPR-2",
            "quantity": "1",
            "reason": "lost",
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == before


def test_the_reorder_page_offers_the_list_as_xlsx(client, world):
    login(client, world["lead_user"])
    assert "/bestilling.xlsx" in client.get("/bestilling").get_data(as_text=True)
    response = client.get("/bestilling.xlsx?sted=OSL-MO")
    assert response.status_code == 200
    assert response.data[:2] == b"PK"


@pytest.mark.parametrize(("show", "shown"), [(False, False), (True, True)])
def test_the_count_sheet_shows_expected_only_when_chosen(client, world, show, shown):
    login(client, world["lead_user"])
    data = {"csrf_token": token(client, "/varetelling"), "site": "OSL-MO"}
    if show:
        data["show_expected"] = "y"
    client.post("/varetelling", data=data)
    count = db.session.scalars(select(StockCount)).one()
    html = client.get(f"/varetelling/{count.id}").get_data(as_text=True)
    assert ("forventet 100" in html) is shown


def test_a_double_tap_on_the_ship_form_ships_once(client, world):
    login(client, world["lead_user"])
    html = client.get("/overforinger/ny").get_data(as_text=True)
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        "from_site": "OSL-MO",
        "to_site": "OSL-SR",
        "date": today().isoformat(),
        "lines-0-item": "SPR-2",
        "lines-0-quantity": "30",
    }
    assert client.post("/overforinger/ny", data=form).status_code == 302
    again = client.post("/overforinger/ny", data=form, follow_redirects=True)
    assert "allerede sendt" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1
    assert balance(world["a"], "SPR-2") == 70
    changed = client.post("/overforinger/ny", data={**form, "lines-0-quantity": "31"})
    assert changed.status_code == 409  # the same key with other values: not shipped again
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1
    no_key = {k: v for k, v in form.items() if k != "form_key"}
    assert client.post("/overforinger/ny", data=no_key).status_code == 400


def test_the_ship_form_opens_prefilled_from_a_suggestion(client, world):
    login(client, world["lead_user"])
    html = client.get(
        "/overforinger/ny?fra=OSL-MO&til=OSL-SR&vare=SPR-2&parti=&antall=12"
    ).get_data(as_text=True)
    assert re.search(r'<option selected value="OSL-SR">|<option value="OSL-SR" selected>', html)
    assert 'name="lines-0-quantity" type="number" value="12"' in html or 'value="12"' in html
    assert re.search(r'<option selected value="SPR-2">|<option value="SPR-2" selected>', html)
