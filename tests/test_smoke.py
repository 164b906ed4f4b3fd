"""The app builds, serves its home page and its OpenAPI document."""


def test_home_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Utdelingsregister" in response.get_data(as_text=True)


def test_openapi_document_lists_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    for path in (
        "/api/v1/sites",
        "/api/v1/items",
        "/api/v1/receipts",
        "/api/v1/tallies",
        "/api/v1/naloxone-handouts",
        "/api/v1/movements",
        "/api/v1/stock",
    ):
        assert path in paths
