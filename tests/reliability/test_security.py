"""Security baseline pieces not about login: headers, body size, no stack traces, tokens,
password hashing, and structured request logs."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from tests.factories import api_client, login, make_item, make_site, make_user, tally_body
from tracker.extensions import db
from tracker.models import ApiToken
from tracker.security import CSP
from tracker.services import users


def test_pages_send_a_strict_content_security_policy_and_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_https_responses_get_hsts(client):
    response = client.get("/healthz", base_url="https://tracker.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_api_responses_and_errors_carry_the_headers_too(client):
    response = client.get("/api/v1/sites")
    assert response.status_code == 401
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script(client):
    admin = make_user("admin")
    login(client, admin)
    for path in ("/", "/revisjonslogg"):
        html = client.get(path).get_data(as_text=True).lower()
        assert "<script>" not in html
        assert " onclick=" not in html
        assert "javascript:" not in html


def test_a_body_over_the_limit_is_a_413_problem(app, client):
    site = make_site("OSL-MO")
    api = api_client(client, make_user("staff", [site]))
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = {**tally_body(site, {"SPR-2": 1}), "note": "x" * (limit + 1)}
    response = api.post("/tallies", body)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 413


def test_an_unexpected_error_shows_no_stack_trace(app, client, monkeypatch):
    from tracker.services import sites

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/tracker/services/sites.py line 42")

    monkeypatch.setattr(sites, "list_sites", explode)
    api = api_client(client, make_user("admin"))
    response = api.get("/sites")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "secret internals" not in text
    assert ".py" not in text
    assert not app.debug
    assert not app.config.get("PROPAGATE_EXCEPTIONS")


def test_a_page_error_shows_no_stack_trace(client, monkeypatch):
    from tracker.services import audit

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(audit, "list_events", explode)
    login(client, make_user("admin"))
    response = client.get("/revisjonslogg")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_tokens_are_stored_hashed_and_shown_once(client):
    user = make_user("admin")
    token, raw = users.create_token(None, user.email, "ci")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert raw not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.token_hash == users.hash_token(raw)
    assert len(stored.token_hash) == 64
    assert raw.startswith(stored.prefix)
    assert len(stored.prefix) < len(raw) / 3
    events = api_client(client, user)  # another token, to read the audit log
    log = json.dumps(events.get("/audit-events").get_json())
    assert raw not in log
    assert stored.prefix in log


def test_a_revoked_token_is_refused(client):
    user = make_user("admin")
    api = api_client(client, user)
    assert api.get("/sites").status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    users.revoke_token(users.Actor(user), token.id)
    response = api.get("/sites")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_tokens_cli_prints_the_token_once_as_the_last_line(runner):
    user = make_user("admin")
    result = runner.invoke(args=["tokens", "create", user.email, "--name", "ci"])
    assert result.exit_code == 0
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith(users.TOKEN_PREFIX)
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == raw)) is None


def test_passwords_are_hashed_with_scrypt_at_strong_parameters(app):
    method, n, r, p = users.PASSWORD_METHOD.split(":")
    assert method == "scrypt"
    assert int(n) >= 2**15
    assert int(r) >= 8
    assert int(p) >= 1
    user = users.create_user(
        None, email="a@test.no", name="A", password="a long enough password", role="admin"
    )
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert "a long enough password" not in user.password_hash


def test_session_cookie_flags_follow_the_baseline(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_each_request_is_logged_as_one_json_line_with_an_id_and_no_body(client, caplog):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    user = make_user("staff", [site])
    api = api_client(client, user)
    secret_note = "notat som ikke skal logges"
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        response = api.post(
            "/tallies",
            {**tally_body(site, {"SPR-2": 2}), "note": secret_note},
            headers={"X-Request-Id": "abc-123"},
        )
    assert response.status_code == 201
    assert response.headers["X-Request-Id"] == "abc-123"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "tracker.request"]
    record = json.loads(line)
    assert record["request_id"] == "abc-123"
    assert record["method"] == "POST"
    assert record["path"] == "/api/v1/tallies"
    assert record["status"] == 201
    assert record["user_id"] == user.id
    assert record["token_id"] is not None
    assert record["site"] == "OSL-MO"
    assert record["duration_ms"] >= 0
    assert secret_note not in line
    assert "SPR-2" not in line


@pytest.mark.parametrize("incoming", [None, "x" * 65, "bad id"])
def test_a_missing_or_malformed_request_id_is_replaced(client, caplog, incoming):
    headers = {"X-Request-Id": incoming} if incoming else {}
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        response = client.get("/stock?site=OSL-MO", headers=headers)
    made = response.headers["X-Request-Id"]
    assert made != incoming
    assert len(made) == 32
    record = json.loads(caplog.records[-1].getMessage())
    assert record["request_id"] == made
    assert record["site"] == "OSL-MO"
    assert record["user_id"] is None


def test_the_request_log_needs_no_database_after_it_went_away(client, caplog, monkeypatch):
    """A rollback expires the actor; logging it must not query the (lost) database."""
    from sqlalchemy import event

    from tracker.errors import ServiceUnavailable
    from tracker.services import tallies

    site = make_site("OSL-MO")
    user = make_user("staff", [site])
    api = api_client(client, user)
    down = {"now": False}

    def refuse(*args, **kwargs):
        if down["now"]:
            raise RuntimeError("the database is gone")

    def lose_database(*args, **kwargs):
        db.session.rollback()  # what @service does on OperationalError: expires everything
        down["now"] = True
        raise ServiceUnavailable("The database is not reachable right now.")

    monkeypatch.setattr(tallies, "create_tally", lose_database)
    event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        with caplog.at_level(logging.INFO, logger="tracker.request"):
            response = api.post("/tallies", tally_body(site, {"SPR-2": 1}))
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)
    assert response.status_code == 503
    record = json.loads(caplog.records[-1].getMessage())
    assert record["status"] == 503
    assert record["user_id"] == user.id
