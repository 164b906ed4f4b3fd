"""A frozen or slow PostgreSQL gets 503s with Retry-After within DB_TIMEOUT_SECONDS, not hangs.

The frozen server is a TCP proxy that stops passing bytes (like a SIGSTOPped server, which
these tests must not do to the machine's shared PostgreSQL), in front of real gunicorn.
"""

from __future__ import annotations

import os
import time

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.factories import api_client, login, make_token, make_user
from tests.servers import FreezableProxy, gunicorn
from tracker import config, create_app
from tracker.extensions import db

pytestmark = pytest.mark.skipif(
    os.environ.get("TEST_DB") != "postgres", reason="PostgreSQL only (TEST_DB=postgres)"
)

TIMEOUT = 2  # DB_TIMEOUT_SECONDS for the server under test
SLACK = 3  # the deadline's extra second, plus a loaded machine


def _get(url: str, token: str, cookie: str = "") -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(
        url,
        headers={"Authorization": f"Bearer {token}"},
        cookies={"tracker_session": cookie} if cookie else None,
        allow_redirects=False,
        timeout=60,
    )
    return response, time.monotonic() - started


def test_a_frozen_database_gets_quick_503s_and_the_app_recovers_by_itself(app, database_uri):
    admin = make_user("admin")
    token = make_token(admin)
    browser = app.test_client()
    login(browser, admin)
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    db.session.remove()
    url = make_url(database_uri)
    with FreezableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with gunicorn(through, workers=2, env={"DB_TIMEOUT_SECONDS": str(TIMEOUT)}) as base:
            for _ in range(4):  # both workers hold pooled connections when the server freezes
                assert _get(f"{base}/api/v1/sites", token)[0].status_code == 200
            assert _get(f"{base}/readyz", token)[0].status_code == 200
            assert _get(f"{base}/revisjonslogg", "", cookie)[0].status_code == 200

            proxy.freeze()
            timings = {}
            health, timings["healthz"] = _get(f"{base}/healthz", token)
            assert health.status_code == 200
            assert timings["healthz"] < 1
            for n, path in enumerate(["/readyz", "/api/v1/sites", "/api/v1/sites", "/readyz"]):
                response, timings[f"{path} #{n}"] = _get(f"{base}{path}", token)
                assert response.status_code == 503, response.text
                assert response.headers["Content-Type"].startswith("application/problem+json")
                assert response.headers["Retry-After"]
                assert timings[f"{path} #{n}"] < TIMEOUT + SLACK, timings
            page, timings["page"] = _get(f"{base}/revisjonslogg", "", cookie)
            assert page.status_code == 503
            assert page.headers["Content-Type"].startswith("text/html")
            assert page.headers["Retry-After"]
            assert "Databasen svarer ikke akkurat nå" in page.text
            assert timings["page"] < TIMEOUT + SLACK, timings
            health, timings["healthz frozen"] = _get(f"{base}/healthz", token)
            assert health.status_code == 200
            print("frozen timings (s):", {k: round(v, 2) for k, v in timings.items()})

            proxy.thaw()
            answers = [_get(f"{base}/api/v1/sites", token)[0].status_code for _ in range(6)]
            assert answers == [200] * 6
            assert _get(f"{base}/readyz", token)[0].status_code == 200
            assert _get(f"{base}/revisjonslogg", "", cookie)[0].status_code == 200


@pytest.fixture
def impatient_app(database_uri):
    """An app on the test database whose statements may take one second."""
    settings = config.TestConfig(database_uri)
    settings.DB_TIMEOUT_SECONDS = 1
    impatient = create_app(settings)
    with impatient.app_context():
        yield impatient
        db.session.remove()
        db.engine.dispose()


def test_a_slow_query_on_a_live_server_is_cancelled_and_answered_503(
    app, impatient_app, monkeypatch
):
    from tracker.services import sites

    admin = make_user("admin")

    def slow(*args, **kwargs):
        db.session.execute(text("SELECT pg_sleep(3)"))

    monkeypatch.setattr(sites, "list_sites", slow)
    started = time.monotonic()
    response = api_client(impatient_app.test_client(), admin).get("/sites")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert time.monotonic() - started < 2.5
    assert impatient_app.test_client().get("/readyz").status_code == 200
