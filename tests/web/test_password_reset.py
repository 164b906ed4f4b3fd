"""One-time password links: made by an admin or the user's coordinator, used once, 24 hours."""

from datetime import timedelta

from sqlalchemy import select, update

from tests.factories import PASSWORD, api_client, login, make_site, make_user
from tests.web.pages import form_post, hidden
from tests.web.test_auth import log_in
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, PasswordReset
from tracker.models.base import utcnow

NEW = "a brand new password"


def _link(client, by, user) -> str:
    response = api_client(client, by).post(f"/users/{user.id}/password-reset")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["url"].startswith("http://localhost/passord/")
    return body["url"].removeprefix("http://localhost")


def _use(client, path: str, password: str = NEW):
    html = client.get(path).get_data(as_text=True)
    return client.post(
        path,
        data={"csrf_token": hidden(html, "csrf_token"), "new": password, "confirm": password},
    )


def test_a_link_sets_the_password_once_and_ends_sessions_and_tokens(app):
    site = make_site("OSL-MO", "0301")
    staff = make_user("staff", [site])
    coordinator = make_user("coordinator", municipality="0301")
    staff_client, stranger = app.test_client(), app.test_client()
    login(staff_client, staff)
    token = api_client(app.test_client(), staff)
    path = _link(app.test_client(), coordinator, staff)
    stored = db.session.scalars(select(PasswordReset)).one()
    assert path.rsplit("/", 1)[-1] not in stored.token_hash  # only the hash is kept
    page = stranger.get(path)
    assert page.status_code == 200
    assert staff.email in page.get_data(as_text=True)
    assert _use(stranger, path, "short").status_code == 422
    response = _use(stranger, path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert log_in(app.test_client(), staff.email, NEW).status_code == 302
    assert log_in(app.test_client(), staff.email, PASSWORD).status_code == 401
    assert staff_client.get(f"/steder/{site.code}/utdeling").status_code == 302
    assert token.get("/sites").status_code == 401
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == staff.id))
    assert all(t.revoked_at for t in tokens)
    again = stranger.get(path)
    assert again.status_code == 410
    assert "allerede brukt" in again.get_data(as_text=True)
    assert _use(stranger, path, "another new password").status_code == 410
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"password_reset_link", "password_reset"} <= actions


def test_a_link_expires_after_24_hours(app):
    staff = make_user("staff", [make_site()])
    path = _link(app.test_client(), make_user("admin"), staff)
    reset = db.session.scalars(select(PasswordReset)).one()
    assert timedelta(hours=23, minutes=59) < reset.expires_at - utcnow() <= timedelta(hours=24)
    db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 410
    assert "utløpt" in response.get_data(as_text=True)


def test_a_newer_link_replaces_the_older_and_an_unknown_one_is_404(app):
    staff = make_user("staff", [make_site()])
    admin = make_user("admin")
    first = _link(app.test_client(), admin, staff)
    second = _link(app.test_client(), admin, staff)
    client = app.test_client()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    assert client.get("/passord/nothing-like-a-real-link").status_code == 404


def test_who_may_make_a_link(client):
    oslo = make_site("OSL-MO", "0301")
    bergen = make_site("BGO-MO", "4601")
    here, there = make_user("staff", [oslo]), make_user("staff", [bergen])
    admin = make_user("admin")
    coordinator = api_client(client, make_user("coordinator", municipality="0301"))
    assert coordinator.post(f"/users/{here.id}/password-reset").status_code == 201
    assert coordinator.post(f"/users/{there.id}/password-reset").status_code == 403
    assert coordinator.post(f"/users/{admin.id}/password-reset").status_code == 403
    lead = api_client(client, make_user("lead", [oslo]))
    assert lead.post(f"/users/{here.id}/password-reset").status_code == 403
    national = api_client(client, make_user("coordinator"))
    assert national.post(f"/users/{there.id}/password-reset").status_code == 201
    assert national.post(f"/users/{admin.id}/password-reset").status_code == 403
    assert api_client(client, admin).post(f"/users/{admin.id}/password-reset").status_code == 201


def test_the_users_page_shows_a_link_once(client, app):
    site = make_site("OSL-MO", "0301")
    staff = make_user("staff", [site])
    login(client, make_user("coordinator", municipality="0301"))
    html = client.get("/brukere").get_data(as_text=True)
    assert f"/brukere/{staff.id}/passordlenke" in html
    response = form_post(client, f"/brukere/{staff.id}/passordlenke", {}, page_url="/brukere")
    assert response.status_code == 200
    url = hidden_value(response.get_data(as_text=True))
    assert "/passord/" in url
    assert url not in client.get("/brukere").get_data(as_text=True)
    fresh = app.test_client()
    assert _use(fresh, url.removeprefix("http://localhost")).status_code == 302


def hidden_value(html: str) -> str:
    import re

    match = re.search(r'id="reset-url"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_the_request_log_never_holds_the_link_s_secret(app, caplog):
    import logging

    staff = make_user("staff", [make_site()])
    path = _link(app.test_client(), make_user("admin"), staff)
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        assert app.test_client().get(path).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.request"]
    assert lines
    assert all(path.rsplit("/", 1)[-1] not in line for line in lines)
    assert any("/passord/[secret]" in line for line in lines)
