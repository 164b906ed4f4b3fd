"""Logging in and out: sessions, password change, rate limit, safe next, CSRF, cookies."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, make_site, make_user
from tracker import config, create_app
from tracker.extensions import db
from tracker.services import users
from tracker.services.access import Actor


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client, email: str, password: str = PASSWORD, next_: str | None = None):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def csrf_client(app):
    """A client with CSRF checks on (the test config keeps production's setting)."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    return app.test_client()


def test_login_with_the_right_password_opens_the_pages(csrf_client):
    user = make_user(sites=[make_site()])
    response = log_in(csrf_client, user.email)
    assert response.status_code == 302
    assert csrf_client.get("/konto").status_code == 200


def test_a_wrong_password_gets_a_norwegian_error_and_no_session(csrf_client):
    user = make_user(sites=[make_site()])
    response = log_in(csrf_client, user.email, "wrong password!")
    assert response.status_code == 401
    assert "Feil e-post eller passord." in response.get_data(as_text=True)
    assert csrf_client.get("/konto").status_code == 302


def test_an_unknown_email_gets_the_same_answer(csrf_client):
    response = log_in(csrf_client, "nobody@test.no", "wrong password!")
    assert response.status_code == 401
    assert "Feil e-post eller passord." in response.get_data(as_text=True)


def test_a_deactivated_user_cannot_log_in(csrf_client):
    user = make_user(sites=[make_site()], active=False)
    assert log_in(csrf_client, user.email).status_code == 401


def test_login_without_the_csrf_token_is_refused(csrf_client):
    user = make_user(sites=[make_site()])
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert csrf_client.get("/konto").status_code == 302


def test_pages_send_anonymous_users_to_the_login_page_with_next(csrf_client):
    response = csrf_client.get("/konto")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_goes_on_to_a_local_next(csrf_client):
    user = make_user(sites=[make_site()])
    response = log_in(csrf_client, user.email, next_="/konto")
    assert response.headers["Location"] == "/konto"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_login_never_redirects_off_site(csrf_client, target):
    user = make_user(sites=[make_site("OSL-MO"), make_site("OSL-SPR")])
    response = log_in(csrf_client, user.email, next_=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # the site picker, not the target


def test_logout_ends_the_session(csrf_client):
    user = make_user(sites=[make_site()])
    log_in(csrf_client, user.email)
    page = csrf_client.get("/konto").get_data(as_text=True)
    response = csrf_client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert csrf_client.get("/konto").status_code == 302


def test_logout_without_the_csrf_token_is_refused(csrf_client):
    user = make_user(sites=[make_site()])
    log_in(csrf_client, user.email)
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/konto").status_code == 200


def test_log_out_everywhere_ends_every_session(app):
    user = make_user(sites=[make_site()])
    phone, tablet = app.test_client(), app.test_client()
    log_in(phone, user.email)
    log_in(tablet, user.email)
    page = phone.get("/konto").get_data(as_text=True)
    response = phone.post("/konto/logg-ut-overalt", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert phone.get("/konto").status_code == 302
    assert tablet.get("/konto").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app):
    user = make_user(sites=[make_site()])
    phone, tablet = app.test_client(), app.test_client()
    log_in(phone, user.email)
    log_in(tablet, user.email)
    page = phone.get("/konto").get_data(as_text=True)
    new = "a much longer new password"
    response = phone.post(
        "/konto",
        data={"csrf_token": csrf_from(page), "current": PASSWORD, "new": new, "confirm": new},
    )
    assert response.status_code == 302
    assert phone.get("/konto").status_code == 200
    assert tablet.get("/konto").status_code == 302
    fresh = app.test_client()
    assert log_in(fresh, user.email).status_code == 401
    assert log_in(fresh, user.email, new).status_code == 302


def test_password_change_with_a_wrong_current_password_changes_nothing(csrf_client):
    user = make_user(sites=[make_site()])
    log_in(csrf_client, user.email)
    page = csrf_client.get("/konto").get_data(as_text=True)
    new = "a much longer new password"
    response = csrf_client.post(
        "/konto",
        data={"csrf_token": csrf_from(page), "current": "wrong one!!", "new": new, "confirm": new},
    )
    assert response.status_code == 422
    assert "Feil passord." in response.get_data(as_text=True)
    db.session.expire_all()
    assert users.authenticate(user.email, PASSWORD) is not None


def test_a_too_short_new_password_gets_a_field_error(csrf_client):
    user = make_user(sites=[make_site()])
    log_in(csrf_client, user.email)
    page = csrf_client.get("/konto").get_data(as_text=True)
    response = csrf_client.post(
        "/konto",
        data={"csrf_token": csrf_from(page), "current": PASSWORD, "new": "kort", "confirm": "kort"},
    )
    assert response.status_code == 422
    assert "Minst 10 tegn." in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_sessions(app):
    admin = make_user(role="admin")
    user = make_user(sites=[make_site()])
    client = app.test_client()
    log_in(client, user.email)
    assert client.get("/konto").status_code == 200
    users.set_active(Actor(admin), user.email, False)
    assert client.get("/konto").status_code == 302


def test_failed_logins_are_rate_limited(app, monkeypatch):
    from datetime import UTC, datetime

    from tracker.services import logins

    # One fixed moment, 20 s into a minute: the counting window cannot roll over mid-test.
    monkeypatch.setattr(logins, "utcnow", lambda: datetime(2026, 12, 5, 10, 0, 20, tzinfo=UTC))
    user = make_user(sites=[make_site()])
    client = app.test_client()
    statuses = [log_in(client, user.email, "wrong password!").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    refused = log_in(client, user.email, "wrong password!")
    assert "For mange forsøk" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "40"  # the rest of the minute
    # Even the right password waits out the limit.
    assert log_in(client, user.email).status_code == 429


def test_successful_logins_do_not_use_up_the_limit(app):
    user = make_user(sites=[make_site()])
    client = app.test_client()
    for _ in range(12):
        assert log_in(client, user.email).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(True))})


def test_session_cookie_is_httponly_and_samesite_lax(csrf_client):
    user = make_user(sites=[make_site()])
    response = log_in(csrf_client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookie_setting_gives_a_host_prefixed_secure_cookie(database_uri, monkeypatch, app):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    secure_app = create_app(config.TestConfig(database_uri))
    user = make_user(sites=[make_site()])
    client = secure_app.test_client()
    with secure_app.app_context():
        page = client.get("/login", base_url="https://localhost")
        response = client.post(
            "/login",
            base_url="https://localhost",
            headers={"Referer": "https://localhost/login"},
            data={
                "email": user.email,
                "password": PASSWORD,
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )
        db.session.remove()
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_carry_the_security_headers(csrf_client):
    response = csrf_client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_the_language_switch_shows_english(csrf_client):
    page = csrf_client.get("/login").get_data(as_text=True)
    response = csrf_client.post(
        "/sprak?next=/login", data={"lang": "en", "csrf_token": csrf_from(page)}
    )
    assert response.headers["Location"] == "/login"
    assert "Log in" in csrf_client.get("/login").get_data(as_text=True)


def test_the_chosen_language_survives_logging_in(csrf_client):
    user = make_user(sites=[make_site()])
    page = csrf_client.get("/login").get_data(as_text=True)
    csrf_client.post("/sprak", data={"lang": "en", "csrf_token": csrf_from(page)})
    log_in(csrf_client, user.email)
    assert "Change password" in csrf_client.get("/konto").get_data(as_text=True)


def test_staff_and_leads_of_one_site_go_straight_to_its_daily_form(app):
    site = make_site("OSL-MO")
    for role in ("staff", "lead"):
        response = log_in(app.test_client(), make_user(role, [site]).email)
        assert response.headers["Location"] == "/steder/OSL-MO/utdeling", role


def test_several_sites_or_a_coordinator_still_pick_a_site(app):
    first, second = make_site("OSL-MO"), make_site("OSL-SPR")
    for user in (
        make_user("staff", [first, second]),
        make_user("coordinator", municipality="0301"),
        make_user("admin"),
    ):
        response = log_in(app.test_client(), user.email)
        assert response.headers["Location"] == "/", user.global_role


def test_a_second_site_that_is_deactivated_leaves_one_to_go_to(app):
    user = make_user("staff", [make_site("OSL-MO"), make_site("OSL-OFF", active=False)])
    response = log_in(app.test_client(), user.email)
    assert response.headers["Location"] == "/steder/OSL-MO/utdeling"
