"""Training pages: list, register form with staff attendees, certification overview."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_site, make_training, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Certification, TrainingSession


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    lead = make_user("lead", [site], email="lead@test.no")
    anne = make_user("staff", [site], email="anne@test.no")
    anne.name = "Anne Ansatt"
    bjorn = make_user("staff", [site], email="bjorn@test.no")
    bjorn.name = "Bjørn Ansatt"
    db.session.commit()
    outsider = make_user("staff", [other], email="bgo@test.no")
    return {
        "site": site,
        "other": other,
        "lead": lead,
        "anne": anne,
        "bjorn": bjorn,
        "outsider": outsider,
        "client": client,
    }


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def form(client, **overrides):
    page = client.get("/opplaering/ny?sted=OSL-MO")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf(page.get_data(as_text=True)),
        "held_on": today().isoformat(),
        "training_type": "cpr",
        "pwud": "6",
        "relative": "",
        "staff": "",
        "other": "",
        "attendees": ["anne@test.no", "bjorn@test.no"],
        "duration_minutes": "60",
        "trainer": "Kari",
        "note": "",
    }
    data.update(overrides)
    return data


def sessions() -> int:
    return db.session.scalar(select(func.count(TrainingSession.id)))


def test_pages_need_login(world):
    client = world["client"]
    for path in ("/opplaering/", "/opplaering/ny", "/opplaering/sertifiseringer"):
        response = client.get(path)
        assert response.status_code in (302, 401), path


def test_register_form_offers_only_the_sites_staff(world):
    client = world["client"]
    login(client, world["lead"])
    html = client.get("/opplaering/ny").get_data(as_text=True)
    assert "Anne Ansatt" in html
    assert "Bjørn Ansatt" in html
    assert "bgo@test.no" not in html
    assert '<label for="held_on">Dato</label>' in html


def test_lead_registers_a_session_and_attendees_are_certified(world):
    client = world["client"]
    login(client, world["lead"])
    response = client.post("/opplaering/ny?sted=OSL-MO", data=form(client))
    assert response.status_code == 302, response.get_data(as_text=True)
    session = db.session.scalars(select(TrainingSession)).one()
    assert (session.pwud_count, session.staff_count, session.duration_minutes) == (6, 2, 60)
    assert db.session.scalar(select(func.count(Certification.id))) == 2
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kurset er registrert." in listing
    assert today().strftime("%d.%m.%Y") in listing
    assert "Anne Ansatt" in listing
    overview = client.get("/opplaering/sertifiseringer?sted=OSL-MO").get_data(as_text=True)
    assert "2 av 3 aktive ansatte har gyldig HLR (kameratredning) (67 %)." in overview
    until = today().replace(year=today().year + 1).strftime("%d.%m.%Y")
    assert until in overview


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pwud": "-1"}, "Tall må være mellom 0 og 500."),
        ({"pwud": "501"}, "Tall må være mellom 0 og 500."),
        ({"pwud": "2.5"}, "Ikke en gyldig heltallsverdi"),
        ({"held_on": (today() + timedelta(days=1)).isoformat()}, "kan ikke være i fremtiden"),
        ({"note": "Deltaker 31129956715"}, "inneholde et fødselsnummer"),
        ({"attendees": ["bgo@test.no"]}, "is not a valid choice"),
        ({"pwud": "0", "attendees": []}, "Kurset må ha minst én deltaker."),
        ({"staff": "1"}, "Kan ikke være færre enn de ansatte som er krysset av."),
    ],
)
def test_bad_form_is_422_and_writes_nothing(world, overrides, message):
    client = world["client"]
    login(client, world["lead"])
    response = client.post("/opplaering/ny?sted=OSL-MO", data=form(client, **overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert html.count("31129956715") <= 1  # at most the user's own text, back in the box
    assert sessions() == 0


def test_post_without_csrf_is_refused(world):
    client = world["client"]
    login(client, world["lead"])
    data = form(client)
    del data["csrf_token"]
    assert client.post("/opplaering/ny?sted=OSL-MO", data=data).status_code in (400, 422)
    assert sessions() == 0


def test_staff_cannot_open_the_register_form_but_see_their_sites_list(world):
    client = world["client"]
    make_training(world["site"], world["lead"], attendees=[world["anne"]])
    make_training(world["other"], make_user("admin"), pwud=3)
    login(client, world["anne"])
    assert client.get("/opplaering/ny").status_code == 403
    html = client.get("/opplaering/").get_data(as_text=True)
    assert "Registrer kurs" not in html
    assert "OSL-MO" in html
    assert "BGO-MO" not in html
    assert client.get("/opplaering/?sted=BGO-MO").status_code == 403
    assert client.get("/opplaering/sertifiseringer?sted=BGO-MO").status_code == 403


def test_lead_cannot_register_at_another_site(world):
    client = world["client"]
    login(client, world["lead"])
    assert client.get("/opplaering/ny?sted=BGO-MO").status_code == 403


def test_overview_shows_expired_and_never_trained(world):
    client = world["client"]
    make_training(world["site"], world["lead"], held_on=date(2025, 1, 6), attendees=[world["anne"]])
    login(client, world["lead"])
    html = client.get("/opplaering/sertifiseringer?sted=OSL-MO&dato=2026-02-01").get_data(
        as_text=True
    )
    assert "0 av 3 aktive ansatte har gyldig" in html
    assert "Utløpt: 1" in html
    assert "Aldri kurset: 2" in html
    assert "06.01.2026" in html
    only = client.get("/opplaering/sertifiseringer?sted=OSL-MO&dato=2026-02-01&status=expired")
    assert "Bjørn Ansatt" not in only.get_data(as_text=True)


def test_nav_shows_training(world):
    client = world["client"]
    login(client, world["anne"])
    assert 'href="/opplaering/"' in client.get("/").get_data(as_text=True)


def test_list_shows_the_period_summary_and_missing_cpr_months(world):
    client = world["client"]
    lead = world["lead"]
    make_training(world["site"], lead, "cpr", date(2026, 1, 8), pwud=6)
    make_training(world["site"], lead, "naloxone", date(2026, 2, 3), relative=4)
    make_training(world["site"], lead, "cpr", date(2026, 3, 5), staff=2)  # staff only
    login(client, lead)
    html = client.get("/opplaering/?sted=OSL-MO&fra=2026-01-01&til=2026-03-31").get_data(
        as_text=True
    )
    assert "Sammendrag 01.01.2026–31.03.2026" in html
    assert "HLR-kurs for brukere holdt i 1 av 3 måneder." in html
    assert "Mangler: 02.2026, 03.2026" in html
    assert "3 kurs" in html


def edit_form(client, session_id, **overrides):
    page = client.get(f"/opplaering/{session_id}/endre")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = {
        "csrf_token": csrf(html),
        "held_on": re.search(r'name="held_on" type="date" value="([^"]*)"', html).group(1),
        "training_type": "cpr",
        "pwud": re.search(r'name="pwud" type="number" value="([^"]*)"', html).group(1),
        "relative": "",
        "staff": "",
        "other": "",
        "attendees": re.findall(
            r'checked id="attendees-\d+" name="attendees" type="checkbox" '
            r'value="([^"]+)"',
            html,
        ),
        "duration_minutes": "",
        "trainer": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_lead_corrects_a_session_and_certifications_follow(world):
    client = world["client"]
    session = make_training(
        world["site"], world["lead"], held_on=date(2026, 3, 2), attendees=[world["anne"]], pwud=5
    )
    login(client, world["lead"])
    listing = client.get("/opplaering/").get_data(as_text=True)
    assert f'href="/opplaering/{session.id}/endre"' in listing
    data = edit_form(client, session.id)
    assert (data["held_on"], data["pwud"], data["attendees"]) == (
        "2026-03-02",
        "5",
        ["anne@test.no"],
    )
    data.update(pwud="7", attendees=["bjorn@test.no"], held_on="2026-03-03")
    response = client.post(f"/opplaering/{session.id}/endre", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(TrainingSession, session.id)
    assert (again.pwud_count, again.staff_count, again.held_on) == (7, 1, date(2026, 3, 3))
    certs = db.session.execute(select(Certification.user_id, Certification.valid_until)).all()
    assert certs == [(world["bjorn"].id, date(2027, 3, 3))]


def test_a_deactivated_attendee_can_stay_on_a_corrected_session(world):
    client = world["client"]
    session = make_training(world["site"], world["lead"], attendees=[world["anne"]])
    world["anne"].active = False
    db.session.commit()
    login(client, world["lead"])
    data = edit_form(client, session.id, trainer="Kari")
    assert data["attendees"] == ["anne@test.no"]
    assert client.post(f"/opplaering/{session.id}/endre", data=data).status_code == 302
    assert db.session.scalars(select(Certification.user_id)).all() == [world["anne"].id]


def test_bad_correction_is_422_and_changes_nothing(world):
    client = world["client"]
    session = make_training(world["site"], world["lead"], pwud=5)
    login(client, world["lead"])
    data = edit_form(client, session.id, note="fnr 31129956715")
    response = client.post(f"/opplaering/{session.id}/endre", data=data)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).note is None


def test_staff_cannot_correct(world):
    client = world["client"]
    session = make_training(world["site"], world["lead"])
    login(client, world["anne"])
    assert client.get(f"/opplaering/{session.id}/endre").status_code == 403
    assert "/endre" not in client.get("/opplaering/").get_data(as_text=True)


def test_overview_of_several_sites_is_a_table_per_site(world):
    client = world["client"]
    make_training(world["site"], world["lead"], attendees=[world["anne"]])
    login(client, make_user("admin"))
    html = client.get("/opplaering/sertifiseringer").get_data(as_text=True)
    assert "Velg et sted for å se hver ansatt." in html
    assert re.search(r">OSL-MO</a></td>\s*<td class=\"num\">3</td>", html)
    assert "33 %" in html
    assert "Anne Ansatt" not in html
