"""flask tokens create --days | list [EMAIL] | revoke ID."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_site, make_token, make_user
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent
from tracker.models.base import utcnow


def test_tokens_create_takes_days(runner):
    user = make_user(sites=[make_site()])
    result = runner.invoke(args=["tokens", "create", user.email, "--name", "ci", "--days", "7"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(select(ApiToken))
    assert abs(token.expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    too_long = runner.invoke(args=["tokens", "create", user.email, "--name", "x", "--days", "999"])
    assert too_long.exit_code == 2


def test_tokens_list_shows_one_users_or_every_token(runner):
    user = make_user(sites=[make_site()])
    other = make_user(sites=[make_site()])
    make_token(user, "regneark")
    make_token(other, "andre")
    mine = runner.invoke(args=["tokens", "list", user.email])
    assert mine.exit_code == 0
    assert "regneark" in mine.output
    assert "andre" not in mine.output
    assert "active" in mine.output
    every = runner.invoke(args=["tokens", "list"])
    assert "regneark" in every.output
    assert "andre" in every.output


def test_tokens_revoke_ends_a_token_and_is_audited(runner, client):
    user = make_user(sites=[make_site()])
    raw = make_token(user)
    token = db.session.scalar(select(ApiToken))
    result = runner.invoke(args=["tokens", "revoke", str(token.id)])
    assert result.exit_code == 0, result.output
    response = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "revoke_cli"))
    assert runner.invoke(args=["tokens", "revoke", "999999"]).exit_code == 2
