"""Sessions that really end: the cookie's key is checked against the database on each request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.factories import api_client, login, make_site, make_token, make_user
from tests.querycount import count_queries
from tests.web.test_auth import csrf_from, log_in
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, UserSession
from tracker.models.base import utcnow


def _cookie(client, app) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def _with_cookie(app, value: str):
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return thief


def test_a_cookie_copied_before_logout_gets_the_login_page(app):
    user = make_user(sites=[make_site()])
    browser = app.test_client()
    log_in(browser, user.email)
    copied = _cookie(browser, app)
    assert _with_cookie(app, copied).get("/konto").status_code == 200  # the copy works ...
    page = browser.get("/konto").get_data(as_text=True)
    browser.post("/logout", data={"csrf_token": csrf_from(page)})
    response = _with_cookie(app, copied).get("/konto")  # ... until the owner logs out
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_cookie_copied_before_log_out_everywhere_is_dead(app):
    user = make_user(sites=[make_site()])
    browser = app.test_client()
    log_in(browser, user.email)
    copied = _cookie(browser, app)
    page = browser.get("/konto").get_data(as_text=True)
    browser.post("/konto/logg-ut-overalt", data={"csrf_token": csrf_from(page)})
    assert _with_cookie(app, copied).get("/konto").status_code == 302
    assert db.session.scalar(select(UserSession.id).where(UserSession.user_id == user.id)) is None


def test_logout_ends_only_this_browser(app):
    user = make_user(sites=[make_site()])
    phone, tablet = app.test_client(), app.test_client()
    log_in(phone, user.email)
    log_in(tablet, user.email)
    page = phone.get("/konto").get_data(as_text=True)
    phone.post("/logout", data={"csrf_token": csrf_from(page)})
    assert phone.get("/konto").status_code == 302
    assert tablet.get("/konto").status_code == 200


def test_a_session_without_its_key_is_refused(app, client):
    user = make_user(sites=[make_site()])
    with client.session_transaction() as session:  # what a pre-upgrade cookie holds
        session["_user_id"] = user.get_id()
    assert client.get("/konto").status_code == 302


def test_a_session_idle_longer_than_the_cookie_lives_is_refused(app, client):
    user = make_user(sites=[make_site()])
    login(client, user)
    assert client.get("/konto").status_code == 200
    stale = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)
    db.session.execute(update(UserSession).values(last_seen_at=stale))
    db.session.commit()
    assert client.get("/konto").status_code == 302


def test_last_seen_is_written_every_few_minutes_not_on_every_request(app, client):
    user = make_user(sites=[make_site()])
    login(client, user)
    earlier = utcnow() - timedelta(minutes=2)
    db.session.execute(update(UserSession).values(last_seen_at=earlier))
    db.session.commit()
    with count_queries() as counter:
        assert client.get("/konto").status_code == 200
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in counter.statements)
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == earlier
    long_ago = utcnow() - timedelta(minutes=10)
    db.session.execute(update(UserSession).values(last_seen_at=long_ago))
    db.session.commit()
    assert client.get("/konto").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) > utcnow() - timedelta(minutes=1)


def test_password_change_keeps_this_browser_and_revokes_the_api_tokens(app):
    user = make_user(sites=[make_site()])
    api = api_client(app.test_client(), user)
    assert api.get("/sites").status_code == 200
    browser, other = app.test_client(), app.test_client()
    log_in(browser, user.email)
    log_in(other, user.email)
    page = browser.get("/konto").get_data(as_text=True)
    new = "a much longer new password"
    response = browser.post(
        "/konto",
        data={
            "csrf_token": csrf_from(page),
            "current": "correct horse battery",
            "new": new,
            "confirm": new,
        },
    )
    assert response.status_code == 302
    assert browser.get("/konto").status_code == 200
    assert other.get("/konto").status_code == 302
    refused = api.get("/sites")  # a token copied before the change is dead
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"


def test_the_account_page_lists_the_users_tokens_and_revokes_one(app):
    user = make_user(sites=[make_site()])
    someone = make_user(sites=[make_site()])
    raw = make_token(user, "regneark")
    make_token(someone, "andres-nokkel")
    browser = app.test_client()
    log_in(browser, user.email)
    page = browser.get("/konto").get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert "regneark" in page
    assert token.prefix in page
    assert "andres-nokkel" not in page
    assert raw not in page
    action = f"/konto/nokler/{token.id}/trekk-tilbake"
    assert browser.post(action).status_code == 400  # no CSRF token
    response = browser.post(action, data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "trukket tilbake" in browser.get("/konto").get_data(as_text=True)
    refused = app.test_client().get("/api/v1/sites", headers={"Authorization": f"Bearer {raw}"})
    assert refused.status_code == 401
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.entity == "api_token", AuditEvent.action == "revoke")
    )


def test_staff_cannot_revoke_another_users_token_from_the_page(app):
    user = make_user(sites=[make_site()])
    someone = make_user(sites=[make_site()])
    raw = make_token(someone)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == someone.id))
    browser = app.test_client()
    log_in(browser, user.email)
    page = browser.get("/konto").get_data(as_text=True)
    response = browser.post(
        f"/konto/nokler/{token.id}/trekk-tilbake", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 404
    ok = app.test_client().get("/api/v1/sites", headers={"Authorization": f"Bearer {raw}"})
    assert ok.status_code == 200


def test_an_admin_sees_every_token_on_the_account_page(app):
    admin = make_user("admin")
    someone = make_user(sites=[make_site()])
    make_token(someone, "andres-nokkel")
    browser = app.test_client()
    log_in(browser, admin.email)
    page = browser.get("/konto").get_data(as_text=True)
    assert "andres-nokkel" in page
    assert someone.email in page
