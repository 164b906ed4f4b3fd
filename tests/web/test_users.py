"""The users page: coordinators see accounts, admins deactivate and log users out."""

from __future__ import annotations

from tests.factories import login, make_site, make_user
from tests.web.pages import form_post
from tracker.extensions import db


def test_staff_and_leads_get_403_on_the_users_page(client, app):
    site = make_site()
    for role in ("staff", "lead"):
        login(client, make_user(role, [site]))
        assert client.get("/brukere").status_code == 403


def test_a_coordinator_deactivates_only_accounts_of_their_municipality(client, app):
    oslo = make_site("OSL-MO", "0301")
    bergen = make_site("BGO-MO", "4601")
    here, there = make_user("staff", [oslo]), make_user("staff", [bergen])
    admin = make_user("admin")
    login(client, make_user("coordinator", municipality="0301"))
    html = client.get("/brukere").get_data(as_text=True)
    assert here.email in html
    assert f"/brukere/{here.id}/deaktiver" in html
    assert f"/brukere/{admin.id}/deaktiver" not in html
    response = form_post(client, f"/brukere/{there.id}/deaktiver", {}, page_url="/brukere")
    assert response.status_code == 403
    response = form_post(client, f"/brukere/{admin.id}/deaktiver", {}, page_url="/brukere")
    assert response.status_code == 403
    response = form_post(client, f"/brukere/{here.id}/deaktiver", {}, page_url="/brukere")
    assert response.status_code == 302
    db.session.expire_all()
    assert (here.active, there.active, admin.active) == (False, True, True)


def test_a_municipal_coordinator_sees_only_their_area(client, app):
    oslo = make_site("OSL-MO", "0301")
    bergen = make_site("BGO-MO", "4601")
    here = make_user("staff", [oslo])
    there = make_user("staff", [bergen])
    login(client, make_user("coordinator", municipality="0301"))
    html = client.get("/brukere").get_data(as_text=True)
    assert here.email in html
    assert there.email not in html


def test_an_admin_deactivating_a_user_ends_their_session(app):
    site = make_site()
    staff = make_user("staff", [site])
    admin = make_user("admin")
    staff_client, admin_client = app.test_client(), app.test_client()
    login(staff_client, staff)
    assert staff_client.get(f"/steder/{site.code}/utdeling").status_code == 200
    login(admin_client, admin)
    response = form_post(admin_client, f"/brukere/{staff.id}/deaktiver", {}, page_url="/brukere")
    assert response.status_code == 302
    assert staff_client.get(f"/steder/{site.code}/utdeling").status_code == 302


def test_an_admin_can_log_a_user_out_everywhere(app):
    site = make_site()
    staff = make_user("staff", [site])
    admin = make_user("admin")
    staff_client, admin_client = app.test_client(), app.test_client()
    login(staff_client, staff)
    login(admin_client, admin)
    form_post(admin_client, f"/brukere/{staff.id}/logg-ut", {}, page_url="/brukere")
    assert staff_client.get(f"/steder/{site.code}/utdeling").status_code == 302
    db.session.refresh(staff)
    assert staff.active


def test_the_menu_shows_users_only_to_coordinators(client, app):
    site = make_site()
    login(client, make_user("staff", [site]))
    assert "/brukere" not in client.get("/").get_data(as_text=True)
    login(client, make_user("coordinator"))
    assert "/brukere" in client.get("/").get_data(as_text=True)


def test_a_coordinator_creates_a_staff_account_that_can_log_in(client, app):
    from tests.web.test_auth import log_in

    site = make_site("OSL-MO")
    login(client, make_user("coordinator"))
    response = form_post(
        client,
        "/brukere",
        {
            "name": "Kari Ansatt",
            "email": "Kari@Test.no",
            "role": "staff",
            "site": "OSL-MO",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302
    fresh = app.test_client()
    assert log_in(fresh, "kari@test.no", "a long enough password").status_code == 302
    assert fresh.get(f"/steder/{site.code}/utdeling").status_code == 200


def test_a_taken_email_or_a_site_outside_the_area_is_refused(client, app):
    make_site("OSL-MO", "0301")
    make_site("BGO-MO", "4601")
    taken = make_user("staff")
    login(client, make_user("coordinator", municipality="0301"))
    body = {"name": "X", "role": "staff", "site": "OSL-MO", "password": "a long enough password"}
    response = form_post(client, "/brukere", {**body, "email": taken.email})
    assert response.status_code == 422
    assert "Ugyldig verdi." in response.get_data(as_text=True)
    response = form_post(client, "/brukere", {**body, "email": "new@test.no", "site": "BGO-MO"})
    assert response.status_code == 422
    from tracker.models import User

    assert db.session.query(User).filter_by(email="new@test.no").count() == 0


def test_a_coordinator_makes_a_staff_member_lead_at_a_second_site(client, app):
    first, second = make_site("OSL-MO", "0301"), make_site("OSL-SR", "0301")
    make_site("BGO-MO", "4601")
    staff = make_user("staff", [first])
    login(client, make_user("coordinator", municipality="0301"))
    url = f"/brukere/{staff.id}"
    html = client.get(url).get_data(as_text=True)
    assert 'name="site_OSL-SR"' in html
    assert 'name="site_BGO-MO"' not in html
    body = {"name": "Kari Leder", "global_role": "", "site_OSL-MO": "staff", "site_OSL-SR": "lead"}
    assert form_post(client, url, body).status_code == 302
    db.session.expire_all()
    assert {m.site.code: m.role for m in staff.memberships} == {"OSL-MO": "staff", "OSL-SR": "lead"}
    assert staff.name == "Kari Leder"
    assert second.code in client.get("/brukere").get_data(as_text=True)


def test_the_edit_page_grants_no_more_than_the_coordinator_holds(client, app):
    site = make_site("OSL-MO", "0301")
    bergen_staff = make_user("staff", [make_site("BGO-MO", "4601")])
    staff = make_user("staff", [site])
    login(client, make_user("coordinator", municipality="0301"))
    assert client.get(f"/brukere/{bergen_staff.id}").status_code == 403
    body = {"name": "X", "global_role": "admin", "site_OSL-MO": "staff"}
    assert form_post(client, f"/brukere/{staff.id}", body).status_code == 422  # not offered
    nothing = {"name": "X", "global_role": "", "site_OSL-MO": ""}
    assert form_post(client, f"/brukere/{staff.id}", nothing).status_code == 422
    db.session.expire_all()
    assert [m.site.code for m in staff.memberships] == ["OSL-MO"]
