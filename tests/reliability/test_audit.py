"""The audit log: who did what and when, with before/after; admins all, coordinators theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import api_client, login, make_item, make_site, make_user, tally_body
from tracker.extensions import db
from tracker.models import AuditEvent


def _event(user, site, entity, at, action="update", before=None, after=None):
    event = AuditEvent(
        user_id=user.id,
        site_id=site.id if site else None,
        entity=entity,
        entity_id="1",
        action=action,
        before=before,
        after=after,
        at=at,
    )
    db.session.add(event)
    db.session.commit()
    return event


def test_a_write_through_the_api_shows_up_in_the_audit_log(client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    staff = make_user("staff", [site], email="ola@test.no")
    assert (
        api_client(client, staff).post("/tallies", tally_body(site, {"SPR-2": 3})).status_code
        == 201
    )
    admin = api_client(client, make_user("admin"))
    response = admin.get("/audit-events", query_string={"entity": "tally"})
    assert response.status_code == 200
    (event,) = response.get_json()
    assert event["user"] == "ola@test.no"
    assert event["site"] == "OSL-MO"
    assert event["action"] == "create"
    assert event["token_id"] is not None


def test_audit_events_filter_by_user_site_entity_and_date(client):
    oslo, bergen = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    ola, kari = make_user("staff", [oslo], email="ola@test.no"), make_user("admin")
    _event(ola, oslo, "tally", datetime(2026, 3, 1, 10, tzinfo=UTC))
    _event(ola, bergen, "tally", datetime(2026, 3, 2, 10, tzinfo=UTC))
    _event(kari, oslo, "site", datetime(2026, 3, 3, 10, tzinfo=UTC))
    # 23:30 UTC on 3 March is 00:30 on 4 March in Oslo
    _event(kari, None, "user", datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    api = api_client(client, kari)

    def ids(**query):
        response = api.get("/audit-events", query_string=query)
        assert response.status_code == 200, response.get_json()
        return [(e["entity"], e["site"]) for e in response.get_json()]

    assert ids(user="ola@test.no") == [("tally", "BGO-MO"), ("tally", "OSL-MO")]
    assert ids(site="OSL-MO") == [("site", "OSL-MO"), ("tally", "OSL-MO")]
    assert ids(entity="user") == [("user", None)]
    assert ids(**{"from": "2026-03-02", "to": "2026-03-03"}) == [
        ("site", "OSL-MO"),
        ("tally", "BGO-MO"),
    ]
    assert ids(**{"from": "2026-03-04", "to": "2026-03-04"}) == [("user", None)]
    unknown = api.get("/audit-events", query_string={"user": "nobody@test.no"})
    assert unknown.status_code == 200  # no events; it does not say whether the account exists
    assert unknown.get_json() == []


def test_before_and_after_are_shown(client):
    site = make_site("OSL-MO")
    admin = make_user("admin")
    _event(
        admin,
        site,
        "site",
        datetime(2026, 3, 1, tzinfo=UTC),
        before={"name": "A"},
        after={"name": "B"},
    )
    (event,) = api_client(client, admin).get("/audit-events?entity=site").get_json()
    assert (event["before"], event["after"]) == ({"name": "A"}, {"name": "B"})


def test_coordinators_read_only_their_municipalitys_site_events(client):
    oslo, bergen = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    admin = make_user("admin")
    _event(admin, oslo, "tally", datetime(2026, 3, 1, tzinfo=UTC))
    _event(admin, bergen, "tally", datetime(2026, 3, 1, tzinfo=UTC))
    _event(admin, None, "user", datetime(2026, 3, 1, tzinfo=UTC))
    coordinator = api_client(client, make_user("coordinator", municipality="0301"))
    assert [e["site"] for e in coordinator.get("/audit-events").get_json()] == ["OSL-MO"]
    assert coordinator.get("/audit-events", query_string={"site": "BGO-MO"}).get_json() == []


def test_staff_and_leads_may_not_read_the_audit_log(client):
    site = make_site("OSL-MO")
    for role in ("staff", "lead"):
        api = api_client(client, make_user(role, [site]))
        response = api.get("/audit-events")
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"


def test_the_audit_page_lists_and_filters_events_for_an_admin(client):
    site = make_site("OSL-MO")
    admin = make_user("admin", email="kari@test.no")
    _event(
        admin,
        site,
        "site",
        datetime(2026, 3, 1, 9, tzinfo=UTC),
        before={"name": "Gammelt"},
        after={"name": "Nytt"},
    )
    _event(admin, None, "user", datetime(2026, 3, 2, 9, tzinfo=UTC))
    login(client, admin)
    page = client.get("/revisjonslogg", query_string={"entity": "site"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "01.03.2026 10:00" in html  # Oslo time
    assert "Gammelt" in html
    assert "Nytt" in html
    assert "kari@test.no" in html
    assert "user 1" not in html
    unknown = client.get("/revisjonslogg", query_string={"user": "nobody@test.no"})
    assert unknown.status_code == 200
    assert "nobody@test.no" in unknown.get_data(as_text=True)


def test_the_audit_page_is_forbidden_to_staff_and_needs_login(client):
    site = make_site("OSL-MO")
    assert client.get("/revisjonslogg").status_code in (302, 401)
    login(client, make_user("staff", [site]))
    assert client.get("/revisjonslogg").status_code == 403


def test_the_menu_shows_the_audit_log_to_admins_only(client):
    site = make_site("OSL-MO")
    login(client, make_user("staff", [site]))
    assert "/revisjonslogg" not in client.get("/").get_data(as_text=True)
    login(client, make_user("admin"))
    assert "/revisjonslogg" in client.get("/").get_data(as_text=True)
