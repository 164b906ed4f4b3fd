"""API tokens can be listed, revoked at once, expire, and die with a password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import PASSWORD, actor, api_client, make_site, make_token, make_user
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent
from tracker.models.base import utcnow
from tracker.services import users


def _token(user) -> ApiToken:
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).first()


def _refused(response) -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_list_shows_your_tokens_with_their_dates_and_never_the_secret(client):
    user = make_user(sites=[make_site()])
    api = api_client(client, user)
    make_token(make_user(sites=[make_site()]), "someone else's")
    response = api.get("/tokens")
    assert response.status_code == 200
    (listed,) = response.get_json()
    token = _token(user)
    assert listed["id"] == token.id
    assert listed["name"] == "test"
    assert listed["prefix"] == token.prefix
    assert listed["user"] == user.email
    assert listed["active"] is True
    assert listed["revoked_at"] is None
    assert listed["last_used_at"] is not None  # this very request used it
    assert set(listed) >= {"created_at", "expires_at"}
    assert api.token not in response.get_data(as_text=True)
    assert token.token_hash not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_an_admin_lists_every_users_tokens(client):
    make_token(make_user(sites=[make_site()]), "one")
    make_token(make_user(sites=[make_site()]), "two")
    api = api_client(client, make_user("admin"))
    names = {t["name"] for t in api.get("/tokens").get_json()}
    assert names == {"one", "two", "test"}


def test_a_revoked_token_is_refused_from_the_next_request_and_audited(client):
    user = make_user(sites=[make_site()])
    api = api_client(client, user)
    token = _token(user)
    assert api.delete(f"/tokens/{token.id}").status_code == 204
    _refused(api.get("/sites"))
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "api_token", AuditEvent.action == "revoke")
    )
    assert event.user_id == user.id
    assert event.entity_id == str(token.id)


def test_another_users_token_is_not_found_and_keeps_working(client):
    victim = make_user(sites=[make_site()])
    victim_api = api_client(client, victim)
    attacker = api_client(client, make_user(sites=[make_site()]))
    response = attacker.delete(f"/tokens/{_token(victim).id}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert attacker.delete("/tokens/999999").status_code == 404  # the same answer
    assert victim_api.get("/sites").status_code == 200


def test_an_admin_revokes_anyones_token(client):
    victim = make_user(sites=[make_site()])
    victim_api = api_client(client, victim)
    admin = api_client(client, make_user("admin"))
    assert admin.delete(f"/tokens/{_token(victim).id}").status_code == 204
    _refused(victim_api.get("/sites"))


def test_an_expired_token_is_refused(client):
    user = make_user(sites=[make_site()])
    api = api_client(client, user)
    assert api.get("/sites").status_code == 200
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    _refused(api.get("/sites"))
    assert "utløpt" in api.get("/sites").get_json()["detail"]


def test_a_token_lasts_a_year_unless_configured_otherwise(app, monkeypatch):
    user = make_user(sites=[make_site()])
    token, _ = users.create_token(None, user.email, "default")
    assert abs(token.expires_at - (utcnow() + timedelta(days=365))) < timedelta(minutes=1)
    monkeypatch.setitem(app.config, "TOKEN_MAX_AGE_DAYS", 30)
    token, _ = users.create_token(None, user.email, "short")
    assert abs(token.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    token, _ = users.create_token(None, user.email, "shorter", days=7)
    assert abs(token.expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    with pytest.raises(ValidationError):
        users.create_token(None, user.email, "too long", days=31)


def test_the_token_max_age_comes_from_the_environment(monkeypatch):
    from tracker.config import Config

    monkeypatch.setenv("TOKEN_MAX_AGE_DAYS", "90")
    monkeypatch.setenv("SECRET_KEY", "x")
    assert Config().TOKEN_MAX_AGE_DAYS == 90


def test_a_token_from_before_a_password_change_is_refused(client):
    user = make_user(sites=[make_site()])
    stolen = api_client(client, user)
    assert stolen.get("/sites").status_code == 200
    users.change_password(actor(user), PASSWORD, "a brand new password")
    _refused(stolen.get("/sites"))
    assert api_client(client, user).get("/sites").status_code == 200  # a new one works


def test_log_out_everywhere_revokes_the_tokens_too(client):
    user = make_user(sites=[make_site()])
    stolen = api_client(client, user)
    users.end_all_sessions(actor(user))
    _refused(stolen.get("/sites"))


def test_last_used_is_written_at_most_hourly(client):
    user = make_user(sites=[make_site()])
    api = api_client(client, user)
    assert _token(user).last_used_at is None
    api.get("/sites")
    db.session.expire_all()
    assert _token(user).last_used_at > utcnow() - timedelta(minutes=1)
    half_hour = utcnow() - timedelta(minutes=30)
    db.session.execute(update(ApiToken).values(last_used_at=half_hour))
    db.session.commit()
    api.get("/sites")
    db.session.expire_all()
    assert _token(user).last_used_at == half_hour
    db.session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    api.get("/sites")
    db.session.expire_all()
    assert _token(user).last_used_at > utcnow() - timedelta(minutes=1)
