"""The other ways in: lot numbers at receipt (asked, confirmed by a lead), the pages, the
command line and the import (number cells, file names). Nothing stored, nothing echoed."""

from __future__ import annotations

import html
import io
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import receive, stock_world
from tests.factories import login, make_user, tally_body
from tests.national_ids import NATIONAL_IDS, ONE_OF_EACH, SPELLINGS
from tests.reliability.test_national_id_api import snapshot, texts
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, ImportBatch, Lot, User
from tracker.national_id import contains_national_id
from tracker.services import imports
from tracker.services.access import Actor

EXPIRY = (today() + timedelta(days=400)).isoformat()
COMBOS = list(itertools.product(ONE_OF_EACH, SPELLINGS))


@pytest.fixture
def world(client):
    w = stock_world(client)
    receive(w["lead_a"], w["a"], {"SPR-2": 100})
    w["lead_user"] = make_user("lead", [w["a"]], email="leder@test.no")
    w["staff_user"] = make_user("staff", [w["a"]], email="ansatt@test.no")
    return w


def lot_receipt(lot: str, confirm: bool | None = None) -> dict:
    body = {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "lines": [{"item": "NALOKSON", "quantity": 4, "lot": lot, "expiry": EXPIRY}],
    }
    if confirm is not None:
        body["confirm_lot_number"] = confirm
    return body


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- lot numbers at receipt -------------------------------------------------------------


@pytest.mark.parametrize("number", NATIONAL_IDS)
def test_a_new_lot_number_like_a_national_id_is_asked_about_in_every_spelling(world, number):
    before = snapshot()
    for spelling in ("plain", "6+5 nbsp", "dotted date", "fullwidth", "zero-width"):
        response = world["lead_a"].post("/receipts", lot_receipt(SPELLINGS[spelling](number)))
        assert response.status_code == 422, spelling
        problem = response.get_json()
        assert problem["type"] == "/problems/lot-looks-like-national-id"
        assert "confirm_lot_number" in problem["errors"]
        assert problem["errors"]["lines"]["0"]["lot"]
        assert not contains_national_id(texts(response))
    assert snapshot() == before


def test_a_lead_confirms_the_lot_number_is_on_the_box_and_it_is_audited(world):
    number = NATIONAL_IDS[3]
    response = world["lead_a"].post("/receipts", lot_receipt(number, confirm=True))
    assert response.status_code == 201, response.get_json()
    lot = db.session.scalars(select(Lot).where(Lot.lot_number == number)).one()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "confirm-lot-number")
    ).one()
    assert (event.entity, event.entity_id) == ("lot", str(lot.id))
    assert event.after["printed_on_box"] is True
    # The lot is known now: received again, moved, counted and discarded without a question.
    assert world["staff_a"].post("/receipts", lot_receipt(number)).status_code == 201
    handout = {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "quantity": 1,
        "lot": number,
        "recipient_group": "pwud",
        "first_time": True,
        "training_given": False,
    }
    assert world["staff_a"].post("/naloxone-handouts", handout).status_code == 201
    transfer = {
        "from": "OSL-MO",
        "to": "OSL-SR",
        "date": today().isoformat(),
        "lines": [{"item": "NALOKSON", "quantity": 1, "lot": number}],
    }
    assert world["lead_a"].post("/transfers", transfer).status_code == 201
    discard = {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "item": "NALOKSON",
        "lot": number,
        "quantity": 1,
        "reason": "damaged",
    }
    assert world["lead_a"].post("/discards", discard).status_code == 201


def test_staff_cannot_confirm_a_lot_number_and_nothing_is_stored(world):
    before = snapshot()
    response = world["staff_a"].post("/receipts", lot_receipt(NATIONAL_IDS[0], confirm=True))
    assert response.status_code == 403
    assert "confirm_lot_number" in response.get_json()["errors"]
    assert not contains_national_id(texts(response))
    assert snapshot() == before


def test_ordinary_lot_numbers_are_not_asked_about(world):
    for lot in ("NX24001", "L-2027-03-31", "24A113-07", "31129956716", "12345678901"):
        response = world["staff_a"].post("/receipts", lot_receipt(lot))
        assert response.status_code == 201, (lot, response.get_json())


def test_an_unknown_lot_like_a_national_id_is_refused_where_lots_are_looked_up(world):
    before = snapshot()
    number = SPELLINGS["6+5 nbsp"](NATIONAL_IDS[4])
    discard = {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "item": "NALOKSON",
        "lot": number,
        "quantity": 1,
        "reason": "damaged",
    }
    response = world["lead_a"].post("/discards", discard)
    assert response.status_code == 422
    assert not contains_national_id(texts(response))
    assert snapshot() == before


def test_the_receipt_page_asks_a_lead_to_tick_that_the_lot_is_on_the_box(client, world):
    from tracker.models import Item

    naloxone = db.session.scalar(select(Item).where(Item.code == "NALOKSON"))
    login(client, world["lead_user"])
    number = NATIONAL_IDS[1]
    data = {
        f"item_{naloxone.id}": "6",
        f"lot_{naloxone.id}": number,
        f"expiry_{naloxone.id}": EXPIRY,
    }
    before = snapshot()
    asked = form_post(client, "/steder/OSL-MO/mottak", data)
    assert asked.status_code == 422
    page = page_text(asked)
    assert "Lotnummeret står på esken" in page
    assert 'name="confirm_lot_number"' in page
    assert snapshot() == before
    confirmed = client.post(
        "/steder/OSL-MO/mottak",
        data={
            **data,
            "csrf_token": hidden(page, "csrf_token"),
            "form_key": hidden(page, "form_key"),
            "received_on": today().isoformat(),
            "confirm_lot_number": "y",
        },
    )
    assert confirmed.status_code == 302, page_text(confirmed)
    assert db.session.scalar(select(Lot.id).where(Lot.lot_number == number)) is not None
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "confirm-lot-number")
    )


def test_the_receipt_page_does_not_echo_the_lot_to_staff_who_cannot_confirm(client, world):
    from tracker.models import Item

    naloxone = db.session.scalar(select(Item).where(Item.code == "NALOKSON"))
    login(client, world["staff_user"])
    number = NATIONAL_IDS[2]
    before = snapshot()
    response = form_post(
        client,
        "/steder/OSL-MO/mottak",
        {
            f"item_{naloxone.id}": "6",
            f"lot_{naloxone.id}": SPELLINGS["slash"](number),
            f"expiry_{naloxone.id}": EXPIRY,
            "confirm_lot_number": "y",
        },
    )
    assert response.status_code in (403, 422)
    page = page_text(response)
    assert not contains_national_id(page)
    assert snapshot() == before


# --- the pages --------------------------------------------------------------------------


def _transfer_id(world) -> int:
    body = {
        "from": "OSL-MO",
        "to": "OSL-SR",
        "date": today().isoformat(),
        "lines": [{"item": "SPR-2", "quantity": 1}],
    }
    return world["lead_a"].post("/transfers", body).get_json()["id"]


def _discrepancy_id(world) -> int:
    world["staff_a"].post("/tallies", tally_body(world["a"], {"SPR-2": 101}))
    return world["lead_a"].get("/discrepancies?site=OSL-MO").get_json()[0]["id"]


def _session_id(world) -> int:
    body = {
        "site": "OSL-MO",
        "date": today().isoformat(),
        "type": "cpr",
        "participants": {"pwud": 5},
    }
    return world["lead_a"].post("/training-sessions", body).get_json()["id"]


def _tally_id(world) -> int:
    return world["staff_a"].post("/tallies", tally_body(world["a"], {"SPR-2": 1})).get_json()["id"]


def _item_id(code: str) -> int:
    from tracker.models import Item

    return db.session.scalar(select(Item.id).where(Item.code == code))


# (who, page, url, fields without the text, the text's field); ids make the url.
TODAY = today().isoformat()
FORMS = {
    "tally note": (
        "staff_user",
        lambda w: "/steder/OSL-MO/utdeling",
        lambda w: {"entry_date": TODAY, f"item_{_item_id('SPR-2')}": "3"},
        "note",
    ),
    "tally edit note": (
        "staff_user",
        lambda w: f"/steder/OSL-MO/utdeling/{_tally_id(w)}/endre",
        lambda w: {"entry_date": TODAY, f"item_{_item_id('SPR-2')}": "3", "contacts": "1"},
        "note",
    ),
    "receipt note": (
        "lead_user",
        lambda w: "/steder/OSL-MO/mottak",
        lambda w: {"received_on": TODAY, f"item_{_item_id('SPR-2')}": "3"},
        "note",
    ),
    "training trainer": (
        "lead_user",
        lambda w: "/opplaering/ny?sted=OSL-MO",
        lambda w: {"held_on": TODAY, "training_type": "cpr", "pwud": "3", "site": "OSL-MO"},
        "trainer",
    ),
    "training note": (
        "lead_user",
        lambda w: "/opplaering/ny?sted=OSL-MO",
        lambda w: {"held_on": TODAY, "training_type": "cpr", "pwud": "3", "site": "OSL-MO"},
        "note",
    ),
    "training edit note": (
        "lead_user",
        lambda w: f"/opplaering/{_session_id(w)}/endre",
        lambda w: {"held_on": TODAY, "training_type": "cpr", "pwud": "3"},
        "note",
    ),
    "transfer note": (
        "lead_user",
        lambda w: "/overforinger/ny",
        lambda w: {
            "from_site": "OSL-MO",
            "to_site": "OSL-SR",
            "date": TODAY,
            "lines-0-item": "SPR-2",
            "lines-0-quantity": "1",
        },
        "note",
    ),
    "transfer lot": (
        "lead_user",
        lambda w: "/overforinger/ny",
        lambda w: {
            "from_site": "OSL-MO",
            "to_site": "OSL-SR",
            "date": TODAY,
            "lines-0-item": "NALOKSON",
            "lines-0-quantity": "1",
        },
        "lines-0-lot",
    ),
    "discard note": (
        "lead_user",
        lambda w: "/kassering",
        lambda w: {
            "site": "OSL-MO",
            "date": TODAY,
            "item": "SPR-2",
            "quantity": "1",
            "reason": "damaged",
        },
        "note",
    ),
    "discard lot": (
        "lead_user",
        lambda w: "/kassering",
        lambda w: {
            "site": "OSL-MO",
            "date": TODAY,
            "item": "NALOKSON",
            "quantity": "1",
            "reason": "damaged",
        },
        "lot",
    ),
    "user name": (
        "coordinator",
        lambda w: "/brukere",
        lambda w: {
            "email": "ny@test.no",
            "role": "staff",
            "site": "OSL-MO",
            "password": "a long enough password",
        },
        "name",
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_page_form_refuses_a_national_id_and_never_shows_it_again(client, world, form):
    who, url, data, field = FORMS[form]
    if who == "coordinator":
        world[who] = make_user("coordinator", municipality="0301")
    login(client, world[who])
    path = url(world)
    index = list(FORMS).index(form)
    for k in range(3):
        number, spelling = COMBOS[(index * 11 + k * 29) % len(COMBOS)]
        before = snapshot()
        text = f"Bruker {SPELLINGS[spelling](number)} fikk hjelp"
        if field.endswith("lot"):
            text = SPELLINGS[spelling](number)
        response = form_post(client, path, {**data(world), field: text})
        assert response.status_code in (403, 409, 422), (form, spelling, response.status_code)
        page = page_text(response)
        assert not contains_national_id(page), (form, spelling)
        assert snapshot() == before, (form, spelling)
    if not field.endswith("lot"):  # the same form with innocent text is saved
        response = form_post(client, path, {**data(world), field: "Rolig dag, ring 22 33 44 55"})
        assert response.status_code == 302, page_text(response)


def test_transfer_receive_and_cancel_and_discrepancy_notes_are_refused_too(client, world):
    transfer = _transfer_id(world)
    discrepancy = _discrepancy_id(world)
    number = SPELLINGS["2+2+2+5 thin"](NATIONAL_IDS[5])
    receiver = client.application.test_client()
    login(receiver, make_user("lead", [world["b"]], email="mottaker@test.no"))
    login(client, world["lead_user"])
    before = snapshot()
    response = form_post(
        receiver,
        f"/overforinger/{transfer}/motta",
        {"date": TODAY, "note": f"fra {number}"},
    )
    assert response.status_code == 422
    assert not contains_national_id(page_text(response))
    response = form_post(
        client, f"/overforinger/{transfer}/kanseller", {"reason": number}, "/overforinger"
    )
    assert not contains_national_id(page_text(client.get("/overforinger")))
    response = form_post(client, f"/avvik/{discrepancy}/lukk", {"note": number}, "/avvik")
    assert not contains_national_id(page_text(response))
    assert snapshot() == before


# --- the command line -------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["6+5 nbsp", "dotted date", "fullwidth", "underscore"])
def test_the_cli_refuses_a_national_id_as_a_user_or_token_name(runner, app, spelling):
    make_user("admin", email="admin@test.no")
    before = snapshot()
    number = SPELLINGS[spelling](NATIONAL_IDS[0])
    env = {"TRACKER_PASSWORD": "a long enough password"}
    for args in (
        ["users", "create", "ola@test.no", "--role", "admin", "--name", f"Ola {number}"],
        ["users", "create", f"{number}@test.no", "--role", "admin"],
        ["tokens", "create", "admin@test.no", "--name", f"pc {number}"],
    ):
        result = runner.invoke(args=args, env=env)
        assert result.exit_code == 2, result.output
        assert "fødselsnummer" in result.output
        assert not contains_national_id(result.output)
    assert snapshot() == before
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 1


# --- the import -------------------------------------------------------------------------


def _workbook(*rows: list) -> io.BytesIO:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Sted", "Dato", "Vare", "Antall", "Merknad", "Parti"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    "cell",
    [
        int(NATIONAL_IDS[0]),  # a number cell
        float(NATIONAL_IDS[3]),
        int(NATIONAL_IDS[1]),  # 02013299997: Excel drops the leading zero
        float(f"{NATIONAL_IDS[4][:6]}.{NATIONAL_IDS[4][6:]}"),  # a decimal comma between
        SPELLINGS["6+5 nbsp"](NATIONAL_IDS[5]),
        SPELLINGS["fullwidth"](NATIONAL_IDS[6]),
    ],
)
def test_a_national_id_in_an_import_cell_is_refused_as_text_or_number(app, cell):
    from tests.factories import make_item, make_site

    make_site("OSL-MO")
    make_item("SPR-2")
    coordinator = make_user("coordinator", municipality="0301")
    before = snapshot()
    day = date(2025, 6, 5)
    for column in ("note", "lot"):
        row = ["OSL-MO", day, "SPR-2", 3, cell if column == "note" else None]
        row.append(cell if column == "lot" else None)
        with pytest.raises(imports.ImportRefused) as refused:
            imports.import_file(Actor(coordinator), _workbook(row), "historikk.xlsx")
        messages = [e["message"] for e in refused.value.errors["rows"]]
        assert any("fødselsnummer" in m for m in messages), messages
        assert not contains_national_id(str(refused.value.errors))
        result = imports.import_file(
            Actor(coordinator), _workbook(row), "historikk.xlsx", dry_run=True
        )
        assert result.error_count
        assert not contains_national_id(str(result.errors))
    assert snapshot() == before


@pytest.mark.parametrize("spelling", ["6+5 nbsp", "underscore", "dotted date", "fullwidth"])
def test_a_national_id_in_an_import_file_name_is_masked_on_the_batch(app, spelling):
    from tests.factories import make_item, make_site

    make_site("OSL-MO")
    make_item("SPR-2")
    coordinator = make_user("coordinator", municipality="0301")
    name = f"liste {SPELLINGS[spelling](NATIONAL_IDS[2])}.xlsx"
    result = imports.import_file(
        Actor(coordinator), _workbook(["OSL-MO", date(2025, 6, 5), "SPR-2", 3]), name
    )
    assert not contains_national_id(result.filename)
    stored = db.session.scalar(select(ImportBatch.filename))
    assert stored.startswith("liste *")
    assert stored.endswith(".xlsx")
    assert not contains_national_id(stored)
    events = db.session.scalars(select(AuditEvent)).all()
    assert not any(contains_national_id(str(e.after)) for e in events)


# --- the login form ---------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["plain", "6+5 nbsp", "fullwidth"])
def test_a_national_id_typed_as_the_login_email_is_neither_kept_nor_shown(client, app, spelling):
    from tracker.models import LoginFailure

    typed = SPELLINGS[spelling](NATIONAL_IDS[0])
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"csrf_token": hidden(page, "csrf_token"), "email": typed, "password": "feil"},
    )
    assert response.status_code == 401
    assert not contains_national_id(page_text(response))
    keys = db.session.scalars(select(LoginFailure.key)).all()
    assert keys
    assert not any(contains_national_id(key) for key in keys)
