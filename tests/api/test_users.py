"""Accounts through the API: admins everywhere, coordinators within their municipality."""

from sqlalchemy import select

from tests.factories import PASSWORD, api_client, make_municipality, make_site, make_user
from tracker.extensions import db
from tracker.models import AuditEvent, User


def _body(**extra):
    body = {"email": "ny@test.no", "name": "Ny Ansatt", "password": PASSWORD, "role": "staff"}
    return {**body, **extra}


def test_a_coordinator_creates_staff_and_a_coordinator_of_their_own_municipality(client):
    make_site("OSL-MO", "0301")
    api = api_client(client, make_user("coordinator", municipality="0301"))
    staff = api.post("/users", _body(sites=["OSL-MO"]))
    assert staff.status_code == 201, staff.get_json()
    assert staff.get_json()["memberships"] == [{"site": "OSL-MO", "role": "staff"}]
    assert "password" not in staff.get_json()
    peer = api.post("/users", _body(email="k2@test.no", role="coordinator"))
    assert peer.status_code == 201, peer.get_json()
    assert (peer.get_json()["global_role"], peer.get_json()["municipality"]) == (
        "coordinator",
        "0301",
    )
    emails = {u["email"] for u in api.get("/users").get_json()}
    assert {"ny@test.no", "k2@test.no"} <= emails


def test_a_coordinator_cannot_reach_beyond_their_municipality(client):
    make_site("OSL-MO", "0301")
    make_site("BGO-MO", "4601")
    api = api_client(client, make_user("coordinator", municipality="0301"))
    assert api.post("/users", _body(sites=["BGO-MO"])).status_code == 403
    assert api.post("/users", _body(role="admin")).status_code == 403
    other = _body(role="coordinator", municipality="4601")
    assert api.post("/users", other).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "ny@test.no")) is None


def test_a_coordinator_changes_only_accounts_of_their_sites_and_grants_no_more(client):
    oslo = make_site("OSL-MO", "0301")
    bergen = make_site("BGO-MO", "4601")
    here = make_user("staff", [oslo])
    there = make_user("staff", [bergen])
    admin = make_user("admin")
    api = api_client(client, make_user("coordinator", municipality="0301"))
    lead = {"memberships": [{"site": "OSL-MO", "role": "lead"}]}
    response = api.patch(f"/users/{here.id}", {"name": "Kari Leder", **lead})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["memberships"] == [{"site": "OSL-MO", "role": "lead"}]
    assert api.patch(f"/users/{there.id}", {"name": "X"}).status_code == 403
    assert api.get(f"/users/{there.id}").status_code == 403
    assert api.patch(f"/users/{admin.id}", {"name": "X"}).status_code == 403
    assert api.patch(f"/users/{here.id}", {"global_role": "admin"}).status_code == 403
    both = {"memberships": [{"site": "OSL-MO", "role": "lead"}, {"site": "BGO-MO", "role": "lead"}]}
    assert api.patch(f"/users/{here.id}", both).status_code == 403
    db.session.expire_all()
    assert [m.site.code for m in db.session.get(User, here.id).memberships] == ["OSL-MO"]


def test_deactivating_through_the_api_ends_the_account_and_is_audited(client):
    site = make_site("OSL-MO", "0301")
    staff = make_user("staff", [site])
    staff_api = api_client(client, staff)
    api = api_client(client, make_user("coordinator", municipality="0301"))
    response = api.patch(f"/users/{staff.id}", {"active": False})
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert staff_api.get("/sites").status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "user"))
    assert "update" in list(actions)


def test_an_admin_makes_an_admin_but_cannot_unmake_the_last_one_or_themselves(client):
    make_municipality("1103")
    me = make_user("admin")
    api = api_client(client, me)
    created = api.post("/users", _body(email="a2@test.no", role="admin"))
    assert created.status_code == 201
    assert api.patch(f"/users/{me.id}", {"active": False}).status_code == 409
    assert api.patch(f"/users/{me.id}", {"global_role": "coordinator"}).status_code == 409
    coordinator = api.post(
        "/users", _body(email="k@test.no", role="coordinator", municipality="1103")
    )
    assert coordinator.get_json()["municipality"] == "1103"


def test_staff_and_leads_have_no_users_api(client):
    site = make_site()
    for role in ("staff", "lead"):
        api = api_client(client, make_user(role, [site]))
        assert api.get("/users").status_code == 403
        assert api.post("/users", _body(sites=[site.code])).status_code == 403


def test_a_retried_create_with_the_same_idempotency_key_makes_one_account(client):
    site = make_site("OSL-MO", "0301")
    api = api_client(client, make_user("admin"))
    headers = {"Idempotency-Key": "new-user-1"}
    first = api.post("/users", _body(sites=[site.code]), headers=headers)
    again = api.post("/users", _body(sites=[site.code]), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    other = api.post("/users", _body(email="x@test.no", sites=[site.code]), headers=headers)
    assert other.status_code == 422
    assert len(api.get("/users").get_json()) == 2
