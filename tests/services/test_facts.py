"""The per-worker cache of sites and items on the entry path, and its staleness bound."""

import uuid

import pytest
from sqlalchemy import event, update

from tests.factories import actor, api_client, make_item, make_site, make_user, tally_body
from tracker.extensions import db
from tracker.models import Item, Site
from tracker.services import catalog, facts, sites


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(facts, "_now", lambda: now[0])
    facts.clear()
    yield now
    facts.clear()


def _statements_on(table: str):
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        if f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", listener)


def _another_worker_sets(model, row_id: int, **values) -> None:
    """A commit this process's sessions do not see: Core, on its own connection."""
    db.session.close()
    with db.engine.begin() as conn:
        conn.execute(update(model).where(model.id == row_id).values(**values))


def test_cached_rows_are_read_once_per_ttl(app, clock):
    site = make_site()
    code = site.code
    db.session.close()
    seen, stop = _statements_on("site")
    try:
        assert facts.lookup(Site, [code])[code].id == site.id
        db.session.close()
        found = facts.lookup(Site, [code])[code]  # from the cache, attached to the session
        assert found.code == code
        assert found.active
        assert found in db.session
        assert len(seen) == 1
        clock[0] += facts.TTL
        db.session.close()
        facts.lookup(Site, [code])
        assert len(seen) == 2
    finally:
        stop()


def test_unknown_codes_are_not_cached(app, clock):
    code = f"NEW-{uuid.uuid4().hex[:8]}"
    assert facts.lookup(Item, [code]) == {}
    item = make_item(code=code)
    assert facts.lookup(Item, [code])[code].id == item.id


def test_a_change_through_this_process_is_seen_at_once(app, client, clock):
    site, item = make_site(), make_item()
    coordinator = actor(make_user("coordinator"))
    api = api_client(client, make_user("staff", [site]))
    assert api.post("/tallies", json=tally_body(site, {item.code: 1})).status_code == 201
    catalog.update_item(coordinator, item.code, {"active": False})
    db.session.close()
    response = api.post("/tallies", json=tally_body(site, {item.code: 1}))
    assert response.status_code == 422, response.get_json()
    sites.update_site(coordinator, site.code, {"active": False})
    db.session.close()
    assert api.post("/tallies", json=tally_body(site, {}, contacts=1)).status_code in (409, 422)


def test_a_direct_orm_change_empties_the_cache(app, clock):
    site = make_site()
    facts.lookup(Site, [site.code])
    site.active = False
    db.session.commit()
    db.session.close()
    assert facts.lookup(Site, [site.code])[site.code].active is False


def test_another_workers_deactivation_is_honoured_within_the_ttl(app, client, clock):
    site, item = make_site(), make_item()
    api = api_client(client, make_user("staff", [site]))
    assert api.post("/tallies", json=tally_body(site, {item.code: 1})).status_code == 201
    _another_worker_sets(Site, site.id, active=False)
    clock[0] += facts.TTL / 2  # inside the bound: this worker may still take the entry
    db.session.close()
    assert api.post("/tallies", json=tally_body(site, {item.code: 1})).status_code == 201
    clock[0] += facts.TTL / 2  # the bound has passed: refused
    db.session.close()
    response = api.post("/tallies", json=tally_body(site, {item.code: 1}))
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["code"] == "site-inactive"


def test_another_workers_item_change_is_honoured_after_the_ttl(app, client, clock):
    site, item = make_site(), make_item()
    api = api_client(client, make_user("staff", [site]))
    assert api.post("/tallies", json=tally_body(site, {item.code: 1})).status_code == 201
    _another_worker_sets(Item, item.id, active=False)
    clock[0] += facts.TTL
    db.session.close()
    response = api.post("/tallies", json=tally_body(site, {item.code: 1}))
    assert response.status_code == 422, response.get_json()
