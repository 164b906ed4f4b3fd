"""Outlet PCs are shared: no logged-in page, export or API answer may stay in the browser cache."""

from __future__ import annotations

import pytest

from tests.factories import api_client, login, make_item, make_site, make_user
from tracker.security import CACHEABLE_ENDPOINTS

# Values for the URL map's path arguments; a 404 for an unknown id still has to say no-store.
ARGUMENTS = {"code": "OSL-MO", "item": "SPR-2", "kind": "xlsx"}

EXPORTS = [
    "/rapporter/sammendrag.xlsx?fra=2026-01-01&til=2026-01-31",
    "/bestilling.xlsx?site=OSL-MO",
    "/import/mal.xlsx",
    "/import/mal.csv",
    "/import/eksport.csv?fra=2026-01-01&til=2026-01-31",
    "/api/v1/exports/summary.xlsx?from=2026-01-01&to=2026-01-31",
    "/api/v1/reorder.xlsx?site=OSL-MO",
    "/api/v1/imports/template.xlsx",
    "/api/v1/imports/template.csv",
    "/api/v1/imports/export.csv?site=OSL-MO&from=2026-01-01&to=2026-01-31",
    "/api/v1/reports/distribution.csv?from=2026-01-01&to=2026-01-31",
]


@pytest.fixture
def admin_clients(app, client):
    make_site("OSL-MO")
    make_item("SPR-2")
    admin = make_user("admin")
    api = api_client(app.test_client(), admin)
    login(client, admin)
    return client, api


def _get_paths(app) -> list[tuple[str, str]]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in CACHEABLE_ENDPOINTS:
            continue
        values = {arg: ARGUMENTS.get(arg, 1) for arg in rule.arguments}
        paths.append((rule.endpoint, rule.build(values)[1]))
    return paths


def test_every_logged_in_page_and_api_answer_says_no_store(app, admin_clients):
    client, api = admin_clients
    paths = _get_paths(app)
    assert len(paths) > 40
    answered = 0
    for endpoint, path in paths:
        if path.startswith("/api/"):
            response = api.get(path.removeprefix("/api/v1"))
        else:
            response = client.get(path)
        response.close()  # file downloads stream from an open file
        assert response.status_code != 500, endpoint
        assert response.headers.get("Cache-Control") == "no-store", (endpoint, path)
        answered += response.status_code == 200
    assert answered > 30  # the walk really opened the pages, not only login redirects


@pytest.mark.parametrize("path", EXPORTS)
def test_every_export_and_download_says_no_store(admin_clients, path):
    client, api = admin_clients
    if path.startswith("/api/"):
        response = api.get(path.removeprefix("/api/v1"))
    else:
        response = client.get(path)
    response.close()
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_static_files_may_still_be_cached(client):
    from flask import current_app

    static = current_app.blueprints["web"].static_folder
    name = next(p.name for p in __import__("pathlib").Path(static).iterdir() if p.is_file())
    response = client.get(f"/static/{name}")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
