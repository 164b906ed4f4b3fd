"""Issue 24 on the pages: unmet demand on the daily form, drug alerts and their banner,
delivery days, who handed naloxone out, and what the stock and reorder pages show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import actor, login, make_item, make_lot, make_site, make_training, make_user
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import DeliverySchedule, Discrepancy, DrugAlert, NaloxoneHandout, UnmetDemand
from tracker.services import alerts, catalog, deliveries, stock, unmet_demand


@pytest.fixture
def place(app):
    oslo, bergen = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    make_item("SPR", "syringe")
    nal = make_item("NAL", "naloxone")
    make_lot(nal, "NL1")
    people = {
        "staff": make_user("staff", [oslo]),
        "colleague": make_user("staff", [oslo]),
        "lead": make_user("lead", [oslo]),
        "bergen": make_user("staff", [bergen]),
        "coordinator": make_user("coordinator", municipality="0301"),
        "admin": make_user("admin"),
    }
    stock.receive(
        actor(people["admin"]), site_code="OSL-MO", received_on=today(),
        lines=[{"item": "SPR", "quantity": 100}, {"item": "NAL", "lot": "NL1", "quantity": 5}],
    )  # fmt: skip
    return {"oslo": oslo, "bergen": bergen, **people}


def count(model) -> int:
    db.session.expire_all()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.commit()
    return int(n or 0)


def _unmet_post(client, data: dict[str, str], page: str = "/steder/OSL-MO/utdeling"):
    html = client.get(page).get_data(as_text=True)
    form = html[html.index('class="form unmet-form"') :]
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(form, "form_key"),
        "date": today().isoformat(),
        "back": "entry",
    }
    body.update(data)
    return client.post("/steder/OSL-MO/spurt-om", data=body)


def test_unmet_demand_is_one_tap_from_the_daily_form(client, place):
    login(client, place["staff"])
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert "Tomt? Før det som ble spurt om og ikke gitt" in html
    unmet_form = html[html.index('class="form unmet-form"') :].split("</form>")[0]
    assert '<option value="SPR">' in unmet_form
    assert '<option value="NAL">' in unmet_form  # naloxone can run out too
    response = _unmet_post(client, {"item": "SPR", "quantity": "38"})
    assert response.status_code == 303
    assert "/steder/OSL-MO/utdeling" in response.headers["Location"]
    (row,) = db.session.scalars(select(UnmetDemand)).all()
    assert (row.item.code, row.quantity, row.day) == ("SPR", 38, today())
    page = client.get("/steder/OSL-MO/spurt-om").get_data(as_text=True)
    assert "38" in page


def test_a_double_tap_saves_unmet_demand_once(client, place):
    login(client, place["staff"])
    html = client.get("/steder/OSL-MO/spurt-om").get_data(as_text=True)
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        "date": today().isoformat(),
        "item": "SPR",
        "quantity": "3",
    }
    assert client.post("/steder/OSL-MO/spurt-om", data=body).status_code == 303
    assert client.post("/steder/OSL-MO/spurt-om", data=body).status_code == 303
    assert count(UnmetDemand) == 1


@pytest.mark.parametrize(
    "data",
    [
        {"item": "SPR", "quantity": "0"},
        {"item": "SPR", "quantity": "-2"},
        {"item": "SPR", "quantity": "2,5"},
        {"item": "SPR", "quantity": ""},
        {"item": "NOPE", "quantity": "2"},
        {"item": "SPR", "quantity": "2", "date": (today() + timedelta(days=9)).isoformat()},
    ],
)
def test_bad_unmet_demand_from_the_page_saves_nothing(client, place, data):
    login(client, place["staff"])
    response = _unmet_post(client, data)
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert [kind for kind, _ in session["_flashes"]] == ["error"]
    assert count(UnmetDemand) == 0


def test_staff_of_another_site_cannot_record_unmet_demand(client, place):
    login(client, place["bergen"])
    assert client.get("/steder/OSL-MO/spurt-om").status_code == 403
    html = client.get("/steder/BGO-MO/spurt-om").get_data(as_text=True)
    body = {"csrf_token": hidden(html, "csrf_token"), "form_key": hidden(html, "form_key")}
    body |= {"item": "SPR", "quantity": "2", "date": today().isoformat()}
    assert client.post("/steder/OSL-MO/spurt-om", data=body).status_code == 303
    with client.session_transaction() as session:
        assert session["_flashes"][0][1].startswith("Du har ikke tilgang")
    assert count(UnmetDemand) == 0


def test_the_stock_and_reorder_pages_show_unmet_demand_and_running_out(client, place):
    admin = actor(place["admin"])
    unmet_demand.record(
        admin, site_code="OSL-MO", day=today() - timedelta(days=2), item_code="SPR", quantity=38
    )
    catalog.set_site_levels(admin, "OSL-MO", {"SPR": (200, 400)})
    deliveries.update(
        admin, "OSL-MO", weekdays=[], dates=[today() + timedelta(days=200)], lead_time_days=0
    )
    login(client, place["lead"])
    html = client.get("/steder/OSL-MO/lager").get_data(as_text=True)
    assert "38 spurt om og ikke gitt siste 4 uker" in html
    assert "tomt før neste levering" in html  # 100 at 38/28 a day lasts 73 days, not 200
    reorder_page = client.get("/bestilling?sted=OSL-MO").get_data(as_text=True)
    assert "38 spurt om og ikke gitt siste 4 uker" in reorder_page


def test_the_delivery_days_page_saves_for_the_lead_and_shows_to_staff(client, place):
    login(client, place["lead"])
    extra = (today() + timedelta(days=10)).strftime("%d.%m.%Y")
    response = form_post(
        client,
        "/steder/OSL-MO/leveringer",
        {"day_2": "y", "day_5": "y", "extra_dates": extra, "lead_time_days": "1"},
    )
    assert response.status_code == 303
    found = deliveries.read(actor(place["staff"]), "OSL-MO")
    assert (found.weekdays, found.lead_time_days) == ([2, 5], 1)
    assert [d.strftime("%d.%m.%Y") for d in found.dates] == [extra]
    login(client, place["staff"])
    html = client.get("/steder/OSL-MO/leveringer").get_data(as_text=True)
    assert "Neste levering" in html
    assert "<form" not in html.split("<main")[1].split("Leverer")[0]


def test_bad_delivery_days_from_the_page_change_nothing(client, place):
    login(client, place["lead"])
    for data in ({"extra_dates": "neste tirsdag"}, {"lead_time_days": "99"}):
        response = form_post(client, "/steder/OSL-MO/leveringer", {"day_2": "y", **data})
        assert response.status_code == 422
    assert count(DeliverySchedule) == 0
    login(client, place["staff"])
    response = form_post(client, "/steder/OSL-MO/leveringer", {"day_2": "y"})
    assert response.status_code == 403
    assert count(DeliverySchedule) == 0


def _post_alert(client, municipality: str = "0301", **extra: str):
    data = {
        "title": "Nitazener i omløp",
        "text": "Sterke opioider solgt som heroin.",
        "severity": "critical",
        "municipality": municipality,
        **extra,
    }
    return form_post(client, "/varsler", data)


def test_an_alert_shows_on_covered_staff_pages_only_and_goes_when_ended(client, place):
    login(client, place["coordinator"])
    assert _post_alert(client).status_code == 303
    (posted,) = db.session.scalars(select(DrugAlert)).all()
    login(client, place["staff"])
    for page in ("/steder/OSL-MO/utdeling", "/steder/OSL-MO/lager", "/konto"):
        html = client.get(page).get_data(as_text=True)
        assert "Nitazener i omløp" in html, page
        assert 'class="alert-banner"' in html
    login(client, place["bergen"])
    assert "Nitazener i omløp" not in client.get("/steder/BGO-MO/utdeling").get_data(as_text=True)
    login(client, place["coordinator"])
    html = client.get("/varsler").get_data(as_text=True)
    response = client.post(
        f"/varsler/{posted.id}/avslutt", data={"csrf_token": hidden(html, "csrf_token")}
    )
    assert response.status_code == 303
    login(client, place["staff"])
    assert "Nitazener i omløp" not in client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)


def test_staff_cannot_open_the_alerts_page_nor_post(client, place):
    login(client, place["staff"])
    assert client.get("/varsler").status_code == 403
    assert client.post("/varsler", data={"title": "x"}).status_code in (400, 403)
    assert count(DrugAlert) == 0


def test_a_coordinator_cannot_post_for_another_municipality_from_the_page(client, place):
    login(client, place["coordinator"])
    html = client.get("/varsler").get_data(as_text=True)
    assert 'value="4601"' not in html
    assert "Hele landet" not in html
    response = _post_alert(client, "4601")
    assert response.status_code == 403
    assert _post_alert(client, "").status_code == 403  # national: administrators only
    assert count(DrugAlert) == 0


def test_an_alert_with_a_national_id_is_refused(client, place):
    login(client, place["admin"])
    response = _post_alert(client, "", text="Gjelder 31129956715")
    assert response.status_code == 422
    assert "31129956715" not in response.get_data(as_text=True)
    assert count(DrugAlert) == 0


def test_the_handout_form_records_who_handed_out_and_flags_the_uncertified(client, place):
    make_training(place["oslo"], place["admin"], "naloxone_course", attendees=[place["colleague"]])
    login(client, place["staff"])
    html = client.get("/steder/OSL-MO/nalokson").get_data(as_text=True)
    assert "Sertifiserte utdelere (naloksonkurset)" in html
    assert f'value="{place["colleague"].id}"' in html
    base = {"quantity": "1", "recipient_group": "pwud", "first_time": "yes", "lot": "NL1"}
    response = form_post(
        client, "/steder/OSL-MO/nalokson", {**base, "handed_out_by": str(place["colleague"].id)}
    )
    assert response.status_code == 302
    response = form_post(client, "/steder/OSL-MO/nalokson", base)  # by the person entering
    assert response.status_code == 302
    handouts = db.session.scalars(select(NaloxoneHandout).order_by(NaloxoneHandout.id)).all()
    assert [h.handed_out_by_id for h in handouts] == [place["colleague"].id, place["staff"].id]
    flags = db.session.scalars(
        select(Discrepancy).where(Discrepancy.kind == "uncertified_handout")
    ).all()
    assert [f.naloxone_handout_id for f in flags] == [handouts[1].id]
    login(client, place["lead"])
    assert "Nalokson delt ut uten naloksonkurs" in client.get("/avvik").get_data(as_text=True)


def test_the_alert_service_ignores_alerts_from_other_municipalities(place):
    alerts.post(
        actor(place["admin"]), title="Bergen", text="Kun Bergen.", severity="info",
        municipality="4601",
    )  # fmt: skip
    assert alerts.active_for_user(place["staff"]) == []
    assert [a.title for a in alerts.active_for_user(place["bergen"])] == ["Bergen"]


def test_the_report_page_shows_unmet_demand_per_site(client, place):
    unmet_demand.record(
        actor(place["admin"]), site_code="OSL-MO", day=today(), item_code="SPR", quantity=38
    )
    login(client, place["lead"])
    day = today().isoformat()
    query = {"periode": "custom", "fra": day, "til": day, "sted": "OSL-MO"}
    html = client.get("/rapporter/", query_string=query).get_data(as_text=True)
    assert "Spurt om, ikke gitt" in html
    row = html[html.index('<th scope="row">OSL-MO') :].split("</tr>")[0]
    assert '<td class="num">38</td>' in row
