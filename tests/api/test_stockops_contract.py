"""The stock-in-depth endpoints: listed in the OpenAPI document, idempotent POSTs, no 500s."""

import pytest
from sqlalchemy import func, select

from tests.api.stockops_helpers import balance, receive, stock_world
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Transfer

PATHS = [
    "/api/v1/transfers",
    "/api/v1/transfers/{transfer_id}",
    "/api/v1/transfers/{transfer_id}/receive",
    "/api/v1/stock-counts",
    "/api/v1/stock-counts/{count_id}",
    "/api/v1/stock-counts/{count_id}/lines",
    "/api/v1/stock-counts/{count_id}/close",
    "/api/v1/discards",
    "/api/v1/reorder",
    "/api/v1/expiring",
    "/api/v1/discrepancies",
]


def test_the_openapi_document_lists_the_stock_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in PATHS:
        assert path in paths


def test_a_retried_transfer_ships_once(client):
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 50})
    body = {
        "from": "OSL-MO",
        "to": "OSL-SR",
        "date": today().isoformat(),
        "lines": [{"item": "SPR-2", "quantity": 20}],
    }
    headers = {"Idempotency-Key": "ship-1"}
    first = world["lead_a"].post("/transfers", body, headers=headers)
    second = world["lead_a"].post("/transfers", body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == second.get_json()
    assert balance(world["a"], "SPR-2") == 30
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1
    body["lines"][0]["quantity"] = 21
    assert world["lead_a"].post("/transfers", body, headers=headers).status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/transfers"),
        ("post", "/transfers"),
        ("get", "/transfers/1"),
        ("post", "/transfers/1/receive"),
        ("get", "/stock-counts"),
        ("post", "/stock-counts"),
        ("put", "/stock-counts/1/lines"),
        ("post", "/stock-counts/1/close"),
        ("post", "/discards"),
        ("get", "/reorder"),
        ("get", "/expiring"),
        ("get", "/discrepancies"),
    ],
)
def test_every_stock_endpoint_needs_a_token(client, method, path):
    from tests.factories import api_client

    anonymous = api_client(client, None)
    response = getattr(anonymous, method)(path)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "path", ["/transfers/99999999999", "/stock-counts/99999999999", "/transfers/0"]
)
def test_ids_beyond_32_bits_are_not_found(client, path):
    from tests.factories import api_client, make_user

    assert api_client(client, make_user("admin")).get(path).status_code == 404
