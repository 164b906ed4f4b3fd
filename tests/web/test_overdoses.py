"""The overdose page and the daily form's section for referrals, returns and groups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import actor, login, make_item, make_site, make_user
from tests.national_ids import FODSELSNUMMER
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    ContactGroupCount,
    EquipmentReturn,
    OverdoseEvent,
    Referral,
    StockBalance,
    StockMovement,
)
from tracker.services import ledger_check, stock


@pytest.fixture
def setup(app):
    site = make_site("OSL-MO")
    make_site("BGO-MO", municipality="4601")
    item = make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    stock.receive(
        actor(staff),
        site_code=site.code,
        received_on=today(),
        lines=[
            {"item": "NAL", "quantity": 10, "lot": "L1", "expiry": today() + timedelta(days=99)}
        ],
    )
    return site, item, staff


def on_hand(site) -> int:
    return db.session.scalar(
        select(func.sum(StockBalance.quantity)).where(StockBalance.site_id == site.id)
    )


FORM = {
    "place": "outreach",
    "naloxone_doses": "2",
    "lot": "",
    "ambulance_called": "y",
    "outcome": "to_hospital",
    "note": "",
}


def test_an_overdose_is_recorded_from_the_page(client, setup):
    site, _item, staff = setup
    login(client, staff)
    page = client.get("/steder/OSL-MO/overdoser")
    assert page.status_code == 200
    assert 'value="L1"' in page.get_data(as_text=True)
    url = "/steder/OSL-MO/overdoser"
    response = form_post(client, url, {**FORM, "event_date": today().isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(OverdoseEvent))
    assert (event.place, event.naloxone_doses, event.ambulance_called) == ("outreach", 2, True)
    assert event.lot.lot_number == "L1"
    assert on_hand(site) == 8
    listed = client.get(url).get_data(as_text=True)
    assert "Til sykehus/legevakt" in listed
    assert ledger_check.verify() == []


def test_the_same_form_sent_twice_saves_once(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    url = "/steder/OSL-MO/overdoser"
    html = client.get(url).get_data(as_text=True)
    body = {
        **FORM,
        "event_date": today().isoformat(),
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
    }
    assert client.post(url, data=body).status_code == 302
    assert client.post(url, data=body).status_code == 302
    assert db.session.scalar(select(func.count(OverdoseEvent.id))) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"naloxone_doses": "21"},
        {"naloxone_doses": "-1"},
        {"place": "street"},
        {"note": f"gjelder {FODSELSNUMMER[0]}"},
        {"event_date": "31.02.2026"},
        {"event_date": (today() + timedelta(days=4)).isoformat()},
    ],
)
def test_bad_input_on_the_page_writes_nothing(client, setup, bad):
    site, _item, staff = setup
    login(client, staff)
    data = {**FORM, "event_date": today().isoformat(), **bad}
    response = form_post(client, "/steder/OSL-MO/overdoser", data)
    assert response.status_code in (409, 422)
    assert db.session.scalar(select(func.count(OverdoseEvent.id))) == 0
    assert on_hand(site) == 10
    assert FODSELSNUMMER[0] not in response.get_data(as_text=True)


def test_edit_and_delete_from_the_page(client, setup):
    site, _item, staff = setup
    login(client, staff)
    url = "/steder/OSL-MO/overdoser"
    form_post(client, url, {**FORM, "event_date": today().isoformat()})
    event = db.session.scalar(select(OverdoseEvent))
    edit = f"/steder/OSL-MO/overdoser/{event.id}/endre"
    changed = {**FORM, "naloxone_doses": "3", "lot": "L1", "event_date": today().isoformat()}
    html = client.get(edit).get_data(as_text=True)
    body = {
        **changed,
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        "version": hidden(html, "version"),
    }
    assert client.post(edit, data=body).status_code == 302
    assert on_hand(site) == 7
    html = client.get(edit).get_data(as_text=True)
    stale = {**body, "naloxone_doses": "1", "form_key": hidden(html, "form_key")}
    assert client.post(edit, data=stale).status_code == 412  # read at version 1, now 2
    assert on_hand(site) == 7
    deleted = client.post(
        f"/steder/OSL-MO/overdoser/{event.id}/slett",
        data={"csrf_token": hidden(html, "csrf_token"), "form_key": hidden(html, "form_key")},
    )
    assert deleted.status_code == 302
    assert on_hand(site) == 10
    assert db.session.get(OverdoseEvent, event.id).deleted_at is not None
    kinds = db.session.scalars(
        select(StockMovement.kind).where(StockMovement.overdose_event_id == event.id)
    ).all()
    assert kinds[0] == "used_on_site"
    assert set(kinds[1:]) == {"correction"}
    assert ledger_check.verify() == []


def test_staff_cannot_open_another_sites_page(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    assert client.get("/steder/BGO-MO/overdoser").status_code == 403
    assert client.get("/steder/BGO-MO/dagstall").status_code == 403


def test_the_daily_form_has_the_section_collapsed(client, setup):
    site, _item, staff = setup
    login(client, staff)
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert '<details class="day-counts">' in html  # collapsed: no `open`
    assert "ref_lar_tsb" in html
    assert "grp_women" not in html  # the site does not count groups
    site.contacts_by_group = True
    db.session.commit()
    assert "grp_women" in client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)


def test_referrals_returns_and_groups_from_the_daily_section(client, setup):
    site, _item, staff = setup
    site.contacts_by_group = True
    db.session.commit()
    login(client, staff)
    url = "/steder/OSL-MO/dagstall"
    data = {
        "count_date": today().isoformat(),
        "ref_lar_tsb": "2",
        "ref_nav": "1",
        "ret_pieces": "40",
        "ret_container_small": "1",
        "grp_women": "3",
        "grp_men": "9",
    }
    response = form_post(client, url, data)
    assert response.status_code == 302
    assert "/utdeling" in response.headers["Location"]
    assert sorted(db.session.execute(select(Referral.destination, Referral.quantity)).all()) == [
        ("lar_tsb", 2),
        ("nav", 1),
    ]
    assert db.session.scalar(select(func.sum(EquipmentReturn.quantity))) == 41
    assert db.session.scalar(select(ContactGroupCount.men)) == 9
    daily = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert "lagret i dag" in daily
    listed = client.get(url).get_data(as_text=True)
    assert "LAR/TSB" in listed


@pytest.mark.parametrize("bad", [{"ref_nav": "1.5"}, {"ret_pieces": "-3"}, {"ref_nav": "0"}])
def test_a_bad_or_empty_section_writes_nothing(client, setup, bad):
    _site, _item, staff = setup
    login(client, staff)
    data = {"count_date": today().isoformat(), "ref_lar_tsb": "", **bad}
    response = form_post(client, "/steder/OSL-MO/dagstall", data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Referral.id))) == 0
    assert db.session.scalar(select(func.count(EquipmentReturn.id))) == 0


def test_one_bad_count_keeps_the_good_ones_out_too(client, setup):
    """A site without groups: the whole section is one save; nothing is half written."""
    site, _item, staff = setup
    login(client, staff)
    site.active = False
    db.session.commit()
    data = {"count_date": today().isoformat(), "ref_nav": "2", "ret_pieces": "5"}
    response = form_post(client, "/steder/OSL-MO/dagstall", data)
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_the_section_sent_twice_saves_once(client, setup):
    _site, _item, staff = setup
    login(client, staff)
    url = "/steder/OSL-MO/dagstall"
    html = client.get(url).get_data(as_text=True)
    body = {
        "count_date": today().isoformat(),
        "ref_nav": "2",
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
    }
    assert client.post(url, data=body).status_code == 302
    assert client.post(url, data=body).status_code == 302
    assert db.session.scalar(select(func.count(Referral.id))) == 1
