"""Health probes, and a lost or locked database answered with 503 + Retry-After, never a 500."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from tests.factories import api_client, login, make_item, make_site, make_user, tally_body
from tracker import config, create_app, database
from tracker.extensions import db

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_the_schema_is_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "ready"
    assert response.get_json()["revision"]


def test_readyz_is_503_when_the_schema_is_behind(client):
    with db.engine.begin() as conn:
        (current,) = conn.execute(text("SELECT version_num FROM alembic_version")).one()
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        response = client.get("/readyz")
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]
    assert "flask db upgrade" in response.get_json()["detail"]


@pytest.fixture
def unreachable_app():
    """An app whose database does not answer (nothing listens on port 1)."""
    app = create_app(config.TestConfig(UNREACHABLE))
    with app.app_context():
        yield app
        db.engine.dispose()


def test_an_unreachable_database_gives_clean_503s(unreachable_app):
    client = unreachable_app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"]
    api = client.get("/api/v1/sites", headers={"Authorization": "Bearer trk_whatever"})
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "5"
    assert "Traceback" not in api.get_data(as_text=True)
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"
        session["sid"] = "a-session-key"
    page = client.get("/revisjonslogg")
    assert page.status_code == 503
    assert page.headers["Retry-After"]


def test_a_locked_sqlite_database_is_a_503_not_a_500(app, client, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    site = make_site("OSL-MO")
    make_item("SPR-2")
    api = api_client(client, make_user("staff", [site]))
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)
    other = create_app(config.TestConfig(app.config["SQLALCHEMY_DATABASE_URI"]))
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with other.app_context():
            response = other.test_client().post(
                "/api/v1/tallies",
                json=tally_body(site, {"SPR-2": 5}),
                headers={"Authorization": f"Bearer {api.token}"},
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    assert api.post("/tallies", tally_body(site, {"SPR-2": 5})).status_code == 201


def test_pages_and_api_answer_after_the_outage_test(client):
    user = make_user("admin")
    login(client, user)
    assert client.get("/revisjonslogg").status_code == 200


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        InterfaceError("SELECT 1", {}, Exception("connection already closed")),
        DBAPIError("SELECT 1", {}, Exception("lost"), connection_invalidated=True),
    ],
    ids=["operational", "interface", "invalidated"],
)
def test_a_connection_lost_mid_request_is_a_503_on_api_and_pages(client, monkeypatch, error):
    from tracker.services import audit, sites

    def lose(*args, **kwargs):
        raise error

    monkeypatch.setattr(sites, "list_sites", lose)
    monkeypatch.setattr(audit, "list_events", lose)
    admin = make_user("admin")
    response = api_client(client, admin).get("/sites")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    login(client, admin)
    page = client.get("/revisjonslogg")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "server closed" not in page.get_data(as_text=True)
    assert "Tjenesten er midlertidig utilgjengelig" in page.get_data(as_text=True)
    english = client.get("/revisjonslogg?lang=en")
    assert english.status_code == 503
    assert "The service is temporarily unavailable" in english.get_data(as_text=True)
