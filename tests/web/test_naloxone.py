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


def lots_of(handout: NaloxoneHandout) -> list[tuple[str, int]]:
    db.session.expire_all()
    fresh = db.session.get(NaloxoneHandout, handout.id)
    return [(lot.lot_number, q) for lot, q in fresh.lots]


def test_a_handout_larger_than_the_first_lot_is_split_and_the_receipt_shows_the_lots(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    response = form_post(client, "/steder/OSL-MO/nalokson", {"quantity": "13", "first_time": "yes"})
    assert response.status_code == 302
    (handout,) = handouts()
    assert lots_of(handout) == [("SOON", 10), ("LATE", 3)]
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>SOON</strong> (10)" in receipt
    assert "<strong>LATE</strong> (3)" in receipt


def test_a_lot_never_held_here_is_labelled_and_never_the_default(client, setup):
    site, item, staff = setup
    other = make_site("BGO-MO", "4601")
    lead = make_user("lead", [other])
    stock.receive(
        actor(lead),
        site_code=other.code,
        received_on=today(),
        lines=[
            {"item": item.code, "quantity": 5, "lot": "THERE", "expiry": today() + timedelta(400)}
        ],
    )
    staff_b = make_user("staff", [make_site("TRD-MO", "5001")])
    login(client, staff_b)  # the site holds no naloxone: every unexpired lot is offered
    html = client.get("/steder/TRD-MO/nalokson").get_data(as_text=True)
    assert "THERE – utløper" in html
    assert "ikke mottatt her" in html
    assert '<option selected value="">' in html or '<option value="" selected>' in html


def test_edit_changes_kits_per_lot_and_a_double_tap_saves_once(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    form_post(client, "/steder/OSL-MO/nalokson", {"quantity": "13", "first_time": "yes"})
    (handout,) = handouts()
    url = f"/steder/OSL-MO/nalokson/{handout.id}/endre"
    html = client.get(url).get_data(as_text=True)
    assert hidden(html, "version") == "1"
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        "version": "1",
        "handed_out_on": today().isoformat(),
        "quantity": "4",
        "recipient_group": "pwud",
        "first_time": "yes",
        "refill_reason": "",
        "lot": "",
    }
    assert client.post(url, data=body).status_code == 302
    assert client.post(url, data=body).status_code == 302  # the second tap: saved once
    assert lots_of(handout) == [("SOON", 4)]
    stale = client.post(url, data={**body, "form_key": "0" * 32, "quantity": "2"})
    assert stale.status_code == 412  # read at version 1, now at 2
    assert lots_of(handout) == [("SOON", 4)]


def test_delete_gives_the_kits_back_once_even_on_a_double_tap(client, setup):
    site, item, staff = setup
    login(client, staff)
    form_post(client, "/steder/OSL-MO/nalokson", {"quantity": "12", "first_time": "yes"})
    (handout,) = handouts()
    html = client.get(f"/steder/OSL-MO/nalokson/{handout.id}/endre").get_data(as_text=True)
    body = {"csrf_token": hidden(html, "csrf_token"), "form_key": hidden(html, "form_key")}
    url = f"/steder/OSL-MO/nalokson/{handout.id}/slett"
    assert client.post(url, data=body).status_code == 302
    assert client.post(url, data=body).status_code == 302
    db.session.expire_all()
    assert db.session.get(NaloxoneHandout, handout.id).deleted_at is not None
    lines = {
        line.lot.lot_number: line.quantity
        for line in stock.on_hand(actor(staff), site.code)
        if line.lot
    }
    assert lines == {"SOON": 10, "LATE": 10}
    page = client.get("/steder/OSL-MO/nalokson").get_data(as_text=True)
    assert f"/nalokson/{handout.id}/endre" not in page


def test_another_sites_staff_cannot_edit_or_delete(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    form_post(client, "/steder/OSL-MO/nalokson", {"quantity": "1", "first_time": "yes"})
    (handout,) = handouts()
    stranger = make_user("staff", [make_site("BGO-MO", "4601")])
    login(client, stranger)
    assert client.get(f"/steder/OSL-MO/nalokson/{handout.id}/endre").status_code in (403, 404)
    html = client.get("/steder/BGO-MO/nalokson").get_data(as_text=True)
    body = {"csrf_token": hidden(html, "csrf_token"), "form_key": hidden(html, "form_key")}
    assert client.post(f"/steder/OSL-MO/nalokson/{handout.id}/slett", data=body).status_code in (
        403,
        404,
    )
    db.session.expire_all()
    assert db.session.get(NaloxoneHandout, handout.id).deleted_at is None


def test_a_handout_of_a_lot_never_held_here_is_saved_and_shown_to_the_lead(client, setup):
    site, item, staff = setup
    make_lot(item, "BOX", today() + timedelta(days=500))  # printed on the box, never received
    login(client, staff)
    response = form_post(
        client, "/steder/OSL-MO/nalokson", {"quantity": "1", "first_time": "yes", "lot": "BOX"}
    )
    assert response.status_code == 302
    lead = make_user("lead", [site])
    login(client, lead)
    page = client.get("/avvik").get_data(as_text=True)
    assert "Parti som aldri er mottatt her" in page
    assert "(BOX)" in page
