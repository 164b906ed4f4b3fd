"""Municipalities through the API: admins add and rename them, coordinators see their own."""

from sqlalchemy import func, select

from tests.factories import api_client, make_municipality, make_user
from tracker.extensions import db
from tracker.models import AuditEvent, Municipality


def test_an_admin_adds_a_municipality_and_then_a_site_and_a_coordinator_in_it(client):
    admin = api_client(client, make_user("admin"))
    site = {"code": "STV-MO", "name": "MO Stavanger", "municipality": "1103", "kind": "mo_senter"}
    assert admin.post("/sites", site).status_code == 404
    created = admin.post("/municipalities", {"number": "1103", "name": "Stavanger"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json() == {"number": "1103", "name": "Stavanger"}
    response = admin.post("/sites", site)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["municipality_name"] == "Stavanger"
    coordinator = make_user("coordinator", municipality="1103")
    assert coordinator.municipality.name == "Stavanger"
    audit = select(func.count(AuditEvent.id)).where(AuditEvent.entity == "municipality")
    assert db.session.scalar(audit) == 1


def test_a_duplicate_number_is_409_and_a_bad_one_422(client):
    admin = api_client(client, make_user("admin"))
    assert admin.post("/municipalities", {"number": "1103", "name": "Stavanger"}).status_code == 201
    again = admin.post("/municipalities", {"number": "1103", "name": "Stavanger 2"})
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    for bad in ("110", "11033", "11a3", ""):
        assert admin.post("/municipalities", {"number": bad, "name": "X"}).status_code == 422
    assert admin.post("/municipalities", {"number": "1104", "name": ""}).status_code == 422
    assert db.session.scalar(select(func.count(Municipality.id))) == 1


def test_an_admin_renames_a_municipality_by_its_number(client):
    make_municipality("1103")
    admin = api_client(client, make_user("admin"))
    response = admin.patch("/municipalities/1103", {"name": "Stavanger kommune"})
    assert response.status_code == 200
    assert admin.get("/municipalities/1103").get_json()["name"] == "Stavanger kommune"
    assert admin.patch("/municipalities/1103", {"number": "1104"}).status_code == 422
    assert admin.patch("/municipalities/9999", {"name": "Ingen"}).status_code == 404


def test_a_coordinator_sees_only_their_own_municipality_and_changes_none(client):
    make_municipality("0301")
    make_municipality("4601")
    coordinator = api_client(client, make_user("coordinator", municipality="0301"))
    assert coordinator.get("/municipalities").get_json() == [{"number": "0301", "name": "Oslo"}]
    assert coordinator.get("/municipalities/0301").status_code == 200
    assert coordinator.get("/municipalities/4601").status_code == 403
    assert coordinator.post("/municipalities", {"number": "1103", "name": "X"}).status_code == 403
    assert coordinator.patch("/municipalities/0301", {"name": "X"}).status_code == 403
    national = api_client(client, make_user("coordinator"))
    assert len(national.get("/municipalities").get_json()) == 2
    staff = api_client(client, make_user("staff"))
    assert staff.get("/municipalities").status_code == 403
