"""Distribution entries through the API: saved, corrected, refused with clear errors."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import api_client, make_item, make_site, make_user, receipt_body, tally_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, StockBalance, StockMovement, TallyEntry
from tracker.services import ledger_check


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    syringe = make_item("SPR-2", "syringe")
    needle = make_item("KAN-23", "needle")
    staff = make_user("staff", [site])
    return {
        "site": site,
        "other": other,
        "syringe": syringe,
        "needle": needle,
        "api": api_client(client, staff),
        "staff": staff,
    }


def balance(site, item) -> int:
    return (
        db.session.scalar(
            select(StockBalance.quantity).where(
                StockBalance.site_id == site.id, StockBalance.item_id == item.id
            )
        )
        or 0
    )


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(StockMovement.id))),
        db.session.scalar(select(func.count(TallyEntry.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def test_tally_writes_distribution_and_moves_balance(world):
    api, site = world["api"], world["site"]
    assert api.post("/receipts", receipt_body(site, {"SPR-2": 100})).status_code == 201
    response = api.post("/tallies", tally_body(site, {"SPR-2": 40, "KAN-23": 30}, contacts=12))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["contacts"] == 12
    assert {line["item"]: line["quantity"] for line in body["lines"]} == {"SPR-2": 40, "KAN-23": 30}
    assert balance(site, world["syringe"]) == 60
    assert balance(site, world["needle"]) == -30  # distribution is never refused
    assert ledger_check.verify() == []


def test_tally_edit_writes_a_correction_and_keeps_the_ledger(world):
    api, site = world["api"], world["site"]
    tally_id = api.post("/tallies", tally_body(site, {"SPR-2": 40})).get_json()["id"]
    response = api.patch(f"/tallies/{tally_id}", {"lines": [{"item": "SPR-2", "quantity": 25}]})
    assert response.status_code == 200, response.get_json()
    assert balance(site, world["syringe"]) == -25
    kinds = [m.kind for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))]
    assert kinds == ["distribution", "correction"]
    correction = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == "correction")
    ).one()
    assert correction.quantity == 15
    assert correction.corrects_id is not None
    assert ledger_check.verify() == []


def test_tally_delete_reverses_it_and_keeps_the_row(world):
    api, site = world["api"], world["site"]
    tally_id = api.post("/tallies", tally_body(site, {"SPR-2": 40})).get_json()["id"]
    assert api.delete(f"/tallies/{tally_id}").status_code == 200
    assert balance(site, world["syringe"]) == 0
    assert db.session.get(TallyEntry, tally_id).deleted_at is not None
    assert api.get(f"/tallies/{tally_id}").get_json()["deleted"] is True
    assert api.delete(f"/tallies/{tally_id}").status_code == 409
    assert ledger_check.verify() == []


def test_idempotent_post_has_one_effect_and_replays_the_first_response(world):
    api, site = world["api"], world["site"]
    body = tally_body(site, {"SPR-2": 7})
    headers = {"Idempotency-Key": "abc-123"}
    responses = [api.post("/tallies", body, headers=headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert responses[0].get_json() == responses[1].get_json() == responses[2].get_json()
    assert db.session.scalar(select(func.count(TallyEntry.id))) == 1
    assert balance(site, world["syringe"]) == -7
    different = api.post("/tallies", tally_body(site, {"SPR-2": 8}), headers=headers)
    assert different.status_code == 422
    assert different.content_type == "application/problem+json"
    assert balance(site, world["syringe"]) == -7


BAD_BODIES = {
    "unknown item": ({"lines": [{"item": "NOPE", "quantity": 1}]}, 404),
    "negative": ({"lines": [{"item": "SPR-2", "quantity": -1}]}, 422),
    "fractional": ({"lines": [{"item": "SPR-2", "quantity": 2.5}]}, 422),
    "huge": ({"lines": [{"item": "SPR-2", "quantity": 10**9}]}, 422),
    "string quantity": ({"lines": [{"item": "SPR-2", "quantity": "5"}]}, 422),
    "empty lines": ({"lines": []}, 422),
    "duplicate items": (
        {"lines": [{"item": "SPR-2", "quantity": 1}, {"item": "SPR-2", "quantity": 2}]},
        422,
    ),
    "future date": ({"date": (today() + timedelta(days=2)).isoformat()}, 422),
    "malformed date": ({"date": "25.11.2026"}, 422),
    "unknown field": ({"recipient_name": "Ola"}, 422),
    "national id in note": ({"note": "gitt til 31129956715"}, 422),
}


@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
def test_bad_tally_is_refused_and_nothing_is_written(world, case):
    api, site = world["api"], world["site"]
    body = tally_body(site, {"SPR-2": 5})
    patch, status = BAD_BODIES[case]
    body.update(patch)
    before = counts()
    response = api.post("/tallies", body)
    assert response.status_code == status, response.get_json()
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert "31129956715" not in response.get_data(as_text=True)
    assert counts() == before


def test_missing_fields_are_named(world):
    response = world["api"].post("/tallies", {"site": "OSL-MO"})
    assert response.status_code == 422
    assert {"date", "lines"} <= set(response.get_json()["errors"])


def test_wrong_content_type_is_refused(world, client):
    response = client.post(
        "/api/v1/tallies",
        data="site=OSL-MO",
        headers={
            "Authorization": f"Bearer {world['api'].token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 415
    assert response.content_type == "application/problem+json"


def test_oversized_body_is_refused(world):
    body = tally_body(world["site"], {"SPR-2": 1})
    body["note"] = "x" * (2 * 1024 * 1024)
    response = world["api"].post("/tallies", body)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_staff_cannot_write_to_another_site(world):
    response = world["api"].post("/tallies", tally_body(world["other"], {"SPR-2": 5}))
    assert response.status_code == 403
    assert counts()[1] == 0


def test_no_token_and_revoked_token_are_refused(world, client):
    from tests.factories import ApiClient
    from tracker.services import users
    from tracker.services.access import Actor

    assert ApiClient(client, None).get("/tallies").status_code == 401
    api = world["api"]
    token = db.session.scalars(select(users.ApiToken)).first()
    users.revoke_token(Actor(world["staff"]), token.id)
    response = api.get("/tallies")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_lists_are_paginated(world):
    api, site = world["api"], world["site"]
    for day in range(5):
        api.post("/tallies", tally_body(site, {"SPR-2": 1}, day=today() - timedelta(days=day)))
    response = api.get("/tallies?page=1&page_size=2")
    assert response.status_code == 200
    assert len(response.get_json()) == 2
    assert '"total": 5' in response.headers["X-Pagination"]


def test_an_entry_carries_its_version_as_etag(world):
    api, site = world["api"], world["site"]
    tally_id = api.post("/tallies", tally_body(site, {"SPR-2": 40})).get_json()["id"]
    read = api.get(f"/tallies/{tally_id}")
    assert read.headers["ETag"] == '"1"'
    assert read.get_json()["version"] == 1
    changed = api.patch(
        f"/tallies/{tally_id}",
        {"contacts": 4},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.headers["ETag"] == '"2"'
    assert changed.get_json()["version"] == 2
    deleted = api.delete(f"/tallies/{tally_id}", headers={"If-Match": '"2"'})
    assert deleted.status_code == 200
    assert deleted.headers["ETag"] == '"3"'
    assert ledger_check.verify() == []


@pytest.mark.parametrize("if_match", ['"1"', 'W/"2"', '"abc"', '"1", "3"', ""])
def test_a_change_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(world, if_match):
    api, site = world["api"], world["site"]
    tally_id = api.post("/tallies", tally_body(site, {"SPR-2": 40})).get_json()["id"]
    api.patch(f"/tallies/{tally_id}", {"contacts": 2})  # someone else: now version 2
    before = counts(), balance(site, world["syringe"])
    for response in (
        api.patch(
            f"/tallies/{tally_id}",
            {"lines": [{"item": "SPR-2", "quantity": 5}]},
            headers={"If-Match": if_match},
        ),
        api.delete(f"/tallies/{tally_id}", headers={"If-Match": if_match}),
    ):
        assert response.status_code == 412, response.get_json()
        assert response.content_type == "application/problem+json"
        problem = response.get_json()
        assert problem["type"] == "/problems/precondition-failed"
        assert "endret av noen andre" in problem["detail"]
    assert (counts(), balance(site, world["syringe"])) == before
    entry = api.get(f"/tallies/{tally_id}").get_json()
    assert (entry["version"], entry["contacts"], entry["deleted"]) == (2, 2, False)


@pytest.mark.parametrize("if_match", ['"2"', '"1", "2"', "*"])
def test_a_change_with_the_current_version_or_star_applies(world, if_match):
    api, site = world["api"], world["site"]
    tally_id = api.post("/tallies", tally_body(site, {"SPR-2": 40})).get_json()["id"]
    api.patch(f"/tallies/{tally_id}", {"contacts": 2})
    response = api.patch(f"/tallies/{tally_id}", {"contacts": 3}, headers={"If-Match": if_match})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["contacts"] == 3


def test_a_deleted_entry_cannot_be_changed_or_deleted_again(world):
    api, site = world["api"], world["site"]
    tally_id = api.post("/tallies", tally_body(site, {"SPR-2": 40})).get_json()["id"]
    assert api.delete(f"/tallies/{tally_id}").status_code == 200
    before = counts(), balance(site, world["syringe"])
    again = api.delete(f"/tallies/{tally_id}", headers={"If-Match": '"2"'})
    change = api.patch(f"/tallies/{tally_id}", {"contacts": 3})
    for response in (again, change):
        assert response.status_code == 409
        assert response.get_json()["detail"] == f"Registrering {tally_id} er allerede slettet."
    assert (counts(), balance(site, world["syringe"])) == before


def test_the_document_describes_the_etag_and_if_match(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    one = paths["/api/v1/tallies/{tally_id}"]
    assert "ETag" in one["get"]["responses"]["200"]["headers"]
    for method in ("patch", "delete"):
        operation = one[method]
        assert "ETag" in operation["responses"]["200"]["headers"]
        assert {"412", "409"} <= set(operation["responses"])
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["If-Match"]
