"""Logging in: failures counted in the database, the same cost for unknown emails, the
client's address behind a proxy, and an audit filter that does not reveal accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.factories import api_client, login, make_site, make_user
from tests.web.test_auth import log_in
from tracker import config, create_app
from tracker.extensions import db
from tracker.models import AuditEvent, LoginFailure
from tracker.services import logins, users

MOMENT = datetime(2026, 12, 5, 10, 0, 20, tzinfo=UTC)  # 20 s into a minute


@pytest.fixture
def fixed_clock(monkeypatch):
    """Counting windows are clock minutes: hold the clock so none rolls over mid-test."""
    monkeypatch.setattr(logins, "utcnow", lambda: MOMENT)


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hash checks and the hashes made (the slow, timed work)."""
    calls = {"check": 0, "generate": 0}
    check, generate = users.check_password_hash, users.generate_password_hash

    def counting_check(*args):
        calls["check"] += 1
        return check(*args)

    def counting_generate(*args):
        calls["generate"] += 1
        return generate(*args)

    monkeypatch.setattr(users, "check_password_hash", counting_check)
    monkeypatch.setattr(users, "generate_password_hash", counting_generate)
    return calls


@pytest.mark.parametrize("who", ["unknown", "wrong password", "deactivated", "right"])
def test_every_login_costs_exactly_one_password_hash_check(app, hash_checks, who):
    user = make_user(sites=[make_site()], active=who != "deactivated")
    email = "nobody@test.no" if who == "unknown" else user.email
    password = "wrong password!" if who == "wrong password" else "correct horse battery"
    client = app.test_client()
    page = client.get("/login")  # the form itself checks nothing
    assert page.status_code == 200
    response = log_in(client, email, password)
    assert response.status_code == (302 if who == "right" else 401)
    assert hash_checks == {"check": 1, "generate": 0}


def test_the_dummy_hash_has_the_cost_of_a_real_one():
    method = users.DUMMY_HASH.split("$")[0]
    assert method == users.PASSWORD_METHOD
    assert not users.verify_password(None, "anything at all")


def test_over_the_account_limit_the_password_is_not_even_checked(app, fixed_clock, hash_checks):
    user = make_user(sites=[make_site()])
    client = app.test_client()
    for _ in range(10):
        assert log_in(client, user.email, "wrong password!").status_code == 401
    hash_checks["check"] = 0
    refused = log_in(client, user.email)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert hash_checks["check"] == 0


def test_the_account_limit_counts_from_every_address(app, fixed_clock, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # only the counting here
    user = make_user(sites=[make_site()])
    statuses = [
        app.test_client()
        .post(
            "/login",
            data={"email": user.email, "password": "wrong password!"},
            environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
        )
        .status_code
        for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_the_address_limit_counts_every_account(app, fixed_clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_ADDRESS", "5 per minute")
    client = app.test_client()
    statuses = [log_in(client, f"nobody{n}@test.no", "wrong!!!!!").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_counters_live_in_the_database_and_old_windows_are_pruned(app, monkeypatch):
    user = make_user(sites=[make_site()])
    monkeypatch.setattr(logins, "utcnow", lambda: datetime(2026, 12, 1, 10, 0, 20, tzinfo=UTC))
    log_in(app.test_client(), user.email, "wrong password!")
    rows = {(r.kind, r.count) for r in db.session.scalars(select(LoginFailure))}
    assert rows == {("account", 1), ("address", 1)}
    monkeypatch.setattr(logins, "utcnow", lambda: MOMENT)  # days later: a new window
    log_in(app.test_client(), user.email, "wrong password!")
    db.session.expire_all()
    assert {r.window_start for r in db.session.scalars(select(LoginFailure))} == {
        MOMENT.replace(second=0)
    }


def _proxied_app(database_uri: str, proxies: int):
    settings = config.TestConfig(database_uri)
    settings.TRUSTED_PROXIES = proxies
    settings.WTF_CSRF_ENABLED = False
    settings.LOGIN_RATE_LIMIT_ADDRESS = "3 per minute"
    return create_app(settings)


def _statuses(proxied, forwarded_for: str, n: int) -> list[int]:
    client = proxied.test_client()
    return [
        client.post(
            "/login",
            data={"email": f"x{i}@test.no", "password": "wrong!!!!!"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for i in range(n)
    ]


@pytest.mark.usefixtures("fixed_clock")
def test_behind_a_trusted_proxy_limits_key_on_the_real_client(app, database_uri):
    proxied = _proxied_app(database_uri, proxies=1)
    with proxied.app_context():
        assert _statuses(proxied, "203.0.113.1", 4) == [401, 401, 401, 429]
        # Another client behind the same proxy is not locked out with the first.
        assert _statuses(proxied, "203.0.113.2", 1) == [401]
        # A client cannot pick its address: only the entry the proxy added is believed.
        assert _statuses(proxied, "198.51.100.9, 203.0.113.1", 1) == [429]
        db.session.remove()
        db.engine.dispose()


@pytest.mark.usefixtures("fixed_clock")
def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, database_uri):
    direct = _proxied_app(database_uri, proxies=0)
    with direct.app_context():
        assert _statuses(direct, "203.0.113.1", 3) == [401] * 3
        assert _statuses(direct, "203.0.113.2", 1) == [429]  # the same socket address
        db.session.remove()
        db.engine.dispose()


def test_trusted_proxies_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    monkeypatch.setenv("SECRET_KEY", "x")
    assert config.Config().TRUSTED_PROXIES == 2
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert config.Config().TRUSTED_PROXIES == 0


def test_a_coordinator_cannot_tell_whether_an_email_exists_from_the_audit_filter(client):
    make_site("OSL-MO")
    bergen = make_site("BGO-MO", municipality="4601")
    outsider = make_user("staff", [bergen], email="kari@test.no")
    db.session.add(
        AuditEvent(
            user_id=outsider.id, site_id=bergen.id, entity="tally", entity_id="1", action="create"
        )
    )
    db.session.commit()
    coordinator = make_user("coordinator", municipality="0301")
    api = api_client(client, coordinator)
    known = api.get("/audit-events", query_string={"user": "kari@test.no"})
    unknown = api.get("/audit-events", query_string={"user": "nobody@test.no"})
    assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json())
    assert known.status_code == 200
    login(client, coordinator)
    pages = [
        client.get("/revisjonslogg", query_string={"user": email})
        for email in ("kari@test.no", "nobody@test.no")
    ]
    assert pages[0].status_code == pages[1].status_code == 200
    bodies = [
        re.sub(r'value="[^"]*"', "", p.get_data(as_text=True).replace(e, ""))
        for p, e in zip(pages, ("kari@test.no", "nobody@test.no"), strict=True)
    ]
    assert bodies[0] == bodies[1]  # but for the email typed in (and the CSRF tokens)
