"""The naloxone handout form: programme fields, the lot picker, one save per form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import actor, login, make_item, make_lot, make_site, make_user
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import NaloxoneHandout
from tracker.services import stock


@pytest.fixture
def setup(app):
    site = make_site("OSL-MO")
    item = make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    for number, days in (("LATE", 300), ("SOON", 40)):
        stock.receive(
            actor(staff),
            site_code=site.code,
            received_on=today(),
            lines=[
                {
                    "item": item.code,
                    "quantity": 10,
                    "lot": number,
                    "expiry": today() + timedelta(days=days),
                }
            ],
        )
    make_lot(item, "GONE", today() - timedelta(days=1))
    return site, item, staff


def handouts() -> list[NaloxoneHandout]:
    return list(db.session.scalars(select(NaloxoneHandout)))


def test_the_lot_picker_lists_unexpired_lots_soonest_expiry_first(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    html = client.get("/steder/OSL-MO/nalokson").get_data(as_text=True)
    assert html.index('value="SOON"') < html.index('value="LATE"')
    assert 'value="GONE"' not in html


def test_a_refill_after_an_overdose_is_saved_with_its_fields(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    response = form_post(
        client,
        "/steder/OSL-MO/nalokson",
        {
            "quantity": "2",
            "recipient_group": "relative",
            "first_time": "no",
            "refill_reason": "used_on_overdose",
            "training_given": "y",
            "lot": "LATE",
        },
    )
    assert response.status_code == 302
    (handout,) = handouts()
    assert (handout.quantity, handout.recipient_group, handout.first_time) == (2, "relative", False)
    assert handout.refill_reason == "used_on_overdose"
    assert handout.training_given is True
    assert handout.lot.lot_number == "LATE"
    assert "Lagret" in client.get(response.headers["Location"]).get_data(as_text=True)
    history = client.get("/steder/OSL-MO/historikk").get_data(as_text=True)
    assert "Nalokson: <strong>2</strong>" in history
    assert "parti LATE" in history


def test_without_a_lot_the_soonest_expiring_is_used(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    form_post(client, "/steder/OSL-MO/nalokson", {"quantity": "1", "first_time": "yes"})
    assert handouts()[0].lot.lot_number == "SOON"


def test_a_refill_without_a_reason_is_refused_and_nothing_saved(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    response = form_post(
        client,
        "/steder/OSL-MO/nalokson",
        {"quantity": "1", "first_time": "no", "refill_reason": ""},
    )
    assert response.status_code == 422
    assert "Ugyldig verdi." in response.get_data(as_text=True)
    assert handouts() == []


def test_zero_kits_get_a_norwegian_field_error(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    response = form_post(client, "/steder/OSL-MO/nalokson", {"quantity": "0"})
    assert response.status_code == 422
    assert "Minst 1." in response.get_data(as_text=True)
    assert handouts() == []


def test_a_double_submit_saves_one_handout(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    html = client.get("/steder/OSL-MO/nalokson").get_data(as_text=True)
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        "quantity": "1",
        "first_time": "yes",
        "recipient_group": "pwud",
    }
    client.post("/steder/OSL-MO/nalokson", data=body)
    client.post("/steder/OSL-MO/nalokson", data=body)
    assert db.session.scalar(select(func.count()).select_from(NaloxoneHandout)) == 1


def test_staff_cannot_record_at_another_site(client, setup):
    other = make_site("BGO-MO", "4601")
    _site, _item, staff = setup
    login(client, staff)
    assert client.get(f"/steder/{other.code}/nalokson").status_code == 403
