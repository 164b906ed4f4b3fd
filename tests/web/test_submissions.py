"""The submission pages: the report page's button, the list, detail, download and reopen."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_item, make_site, make_user
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Submission, TallyEntry

START = (today().replace(day=1) - timedelta(days=1)).replace(day=1)
END = today().replace(day=1) - timedelta(days=1)
REPORT = "/rapporter/?periode=last_month&sted=OSL-MO"


@pytest.fixture
def shop(app):
    site = make_site("OSL-MO")
    item = make_item("SPR-2", "syringe")
    return {
        "site": site,
        "item": item,
        "coordinator": make_user("coordinator", municipality="0301"),
    }


def _submit(client):
    html = client.get(REPORT).get_data(as_text=True)
    assert "Send inn / lås perioden" in html
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "fra": START.isoformat(),
        "til": END.isoformat(),
        "sted": "OSL-MO",
        "kommune": "",
        "merknad": "T3",
        "sprak": "nb",
    }
    return client.post("/rapporter/innsendinger/", data=body)


def test_a_coordinator_submits_from_the_report_page_and_downloads_the_kept_bytes(client, shop):
    login(client, shop["coordinator"])
    response = _submit(client)
    assert response.status_code == 303
    sub = db.session.scalar(select(Submission))
    assert sub.sites[0].code == "OSL-MO"
    assert sub.note == "T3"
    assert not sub.external
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert sub.sha256 in detail
    assert START.strftime("%d.%m.%Y") in detail
    assert "Låst" in detail
    listing = client.get("/rapporter/innsendinger/").get_data(as_text=True)
    assert f"/rapporter/innsendinger/{sub.id}" in listing
    kept = client.get(f"/rapporter/innsendinger/{sub.id}/sammendrag.xlsx")
    assert kept.status_code == 200
    assert hashlib.sha256(kept.data).hexdigest() == sub.sha256


def test_the_entry_form_refuses_a_date_in_the_submitted_period_with_the_reason(client, shop):
    login(client, shop["coordinator"])
    _submit(client)
    response = form_post(
        client,
        "/steder/OSL-MO/utdeling",
        {f"item_{shop['item'].id}": "4", "entry_date": (START + timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "er sendt inn (innsending" in html
    assert "låst for endringer" in html
    assert db.session.scalar(select(func.count()).select_from(TallyEntry)) == 0


def test_reopening_needs_a_reason_on_the_page(client, shop):
    login(client, shop["coordinator"])
    _submit(client)
    sub = db.session.scalar(select(Submission))
    url = f"/rapporter/innsendinger/{sub.id}"
    empty = form_post(client, f"{url}/gjenapne", {"grunn": ""}, page_url=url)
    assert empty.status_code == 422
    done = form_post(client, f"{url}/gjenapne", {"grunn": "Sen papirlapp"}, page_url=url)
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).reopen_reason == "Sen papirlapp"
    assert "Gjenåpnet" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff", "lead"])
def test_staff_and_leads_get_no_button_and_cannot_submit(client, shop, role):
    login(client, make_user(role, [shop["site"]]))
    page = client.get(REPORT)
    assert "Send inn / lås perioden" not in page.get_data(as_text=True)
    token = hidden(client.get("/").get_data(as_text=True), "csrf_token")
    response = client.post(
        "/rapporter/innsendinger/",
        data={
            "csrf_token": token,
            "fra": START.isoformat(),
            "til": END.isoformat(),
            "sted": "OSL-MO",
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
