"""GET/POST /api/v1/categories, PATCH /categories/{code}: categories as data, each a column."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import api_client, login, make_item, make_site, make_user
from tracker.extensions import db
from tracker.models import AuditEvent, Category
from tracker.services import tallies
from tracker.services.access import Actor

FIXED = ["syringe", "needle", "foil", "naloxone", "overdose_card", "other"]
CONDOMS = {"code": "condom", "name_nb": "Kondomer", "name_en": "Condoms"}
JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


@pytest.fixture
def admin(app):
    return make_user("admin")


def test_the_six_fixed_categories_are_there_in_report_order(client, admin):
    response = api_client(client, make_user("staff")).get("/categories")
    assert response.status_code == 200
    body = response.get_json()
    assert [c["code"] for c in body] == FIXED
    assert all(c["fixed"] for c in body)
    assert body[0]["name_nb"] == "Sprøyter"


def test_an_admin_adds_a_category_before_other_and_renames_it(client, admin):
    api = api_client(client, admin)
    response = api.post("/categories", CONDOMS)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {**CONDOMS, "fixed": False, "sort_order": 100}
    assert api.post("/categories", {**CONDOMS, "code": "vitamin"}).get_json()["sort_order"] == 101
    codes = [c["code"] for c in api.get("/categories").get_json()]
    assert codes == [*FIXED[:5], "condom", "vitamin", "other"]
    renamed = api.patch("/categories/condom", {"name_nb": "Kondom og glidemiddel"})
    assert renamed.status_code == 200
    assert renamed.get_json()["name_nb"] == "Kondom og glidemiddel"
    assert renamed.get_json()["name_en"] == "Condoms"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "category"))
    assert sorted(actions) == ["create", "create", "rename"]


@pytest.mark.parametrize("role", ["coordinator", "lead", "staff"])
def test_only_admins_add_or_rename_categories(client, admin, role):
    api = api_client(client, admin)
    assert api.post("/categories", CONDOMS).status_code == 201
    other = api_client(
        client, make_user(role, municipality="0301" if role == "coordinator" else None)
    )
    assert other.post("/categories", {**CONDOMS, "code": "vitamin"}).status_code == 403
    assert other.patch("/categories/condom", {"name_nb": "X"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Category)) == 7


@pytest.mark.parametrize(
    "body",
    [
        {**CONDOMS, "code": "Condom"},
        {**CONDOMS, "code": "c"},
        {**CONDOMS, "code": "1abc"},
        {**CONDOMS, "code": "a" * 21},
        {**CONDOMS, "name_nb": ""},
        {**CONDOMS, "name_en": "x" * 101},
        {**CONDOMS, "name_nb": "31129956715"},  # a national ID never gets stored
        {**CONDOMS, "fixed": True},
        {"code": "condom", "name_nb": "Kondomer"},
    ],
)
def test_bad_categories_get_422_and_nothing_is_written(client, admin, body):
    response = api_client(client, admin).post("/categories", body)
    assert response.status_code == 422, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Category)) == 6


def test_a_taken_code_is_409_and_a_fixed_category_keeps_its_name(client, admin):
    api = api_client(client, admin)
    assert api.post("/categories", {**CONDOMS, "code": "syringe"}).status_code == 409
    response = api.patch("/categories/syringe", {"name_nb": "Pumper"})
    assert response.status_code == 409
    assert response.get_json()["code"] == "category-fixed"
    assert db.session.get(Category, "syringe").name_nb == "Sprøyter"
    assert api.patch("/categories/nope", {"name_nb": "X"}).status_code == 404
    assert api.get("/categories/nope").status_code == 404


def test_an_item_needs_a_known_category(client, admin):
    api = api_client(client, admin)
    item = {"code": "KOND", "name_nb": "Kondom", "name_en": "Condom", "category": "condom"}
    response = api.post("/items", item)
    assert response.status_code == 422
    assert "category" in response.get_json()["errors"]
    assert api.post("/categories", CONDOMS).status_code == 201
    assert api.post("/items", item).status_code == 201
    make_item("SPR", category="syringe")
    assert api.patch("/items/SPR", {"category": "condom"}).status_code == 200
    assert api.patch("/items/SPR", {"category": "nope"}).status_code == 422


def test_an_added_category_is_its_own_column_in_report_csv_and_workbook(
    client, admin, tmp_path, monkeypatch, app
):
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    api = api_client(client, admin)
    assert api.post("/categories", CONDOMS).status_code == 201
    site = make_site("OSL-MO")
    make_item("KOND", category="condom")
    make_item("SPRIT", category="other")
    tallies.create_tally(
        Actor(admin),
        site_code=site.code,
        entry_date=date(2025, 6, 10),
        contacts=1,
        lines=[{"item": "KOND", "quantity": 12}, {"item": "SPRIT", "quantity": 4}],
    )
    body = api.get("/reports/distribution", query_string=JUNE).get_json()
    assert body["categories"] == [*FIXED[:5], "condom", "other"]
    assert (body["totals"]["condom"], body["totals"]["other"]) == (12, 4)

    text = api.get("/reports/distribution.csv", query_string=JUNE).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert {r["kategori"]: r["antall"] for r in rows}["Kondomer"] == "12"

    for lang, heading in (("nb", "Kondomer"), ("en", "Condoms")):
        response = api.get("/exports/summary.xlsx", query_string={**JUNE, "lang": lang})
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.get_data()))
        response.close()
        sheet = book.worksheets[0]
        table = [[c.value for c in row] for row in sheet.iter_rows()]
        start = next(n for n, row in enumerate(table) if heading in row)
        header, site_row = table[start], next(r for r in table[start:] if "OSL-MO" in r)
        assert site_row[header.index(heading)] == 12
        assert site_row[header.index("Annet" if lang == "nb" else "Other")] == 4


def test_a_retried_post_with_the_same_key_adds_one_category(client, admin):
    api = api_client(client, admin)
    first = api.post("/categories", CONDOMS, headers={"Idempotency-Key": "kat-1"})
    again = api.post("/categories", CONDOMS, headers={"Idempotency-Key": "kat-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    other = api.post(
        "/categories", {**CONDOMS, "code": "vitamin"}, headers={"Idempotency-Key": "kat-1"}
    )
    assert other.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Category)) == 7


def test_the_entry_form_groups_an_added_categorys_items_under_its_name(client, admin):
    categories_api = api_client(client, admin)
    assert categories_api.post("/categories", CONDOMS).status_code == 201
    site = make_site("OSL-MO")
    make_item("KOND", category="condom")
    login(client, make_user("staff", sites=[site]))
    page = client.get(f"/steder/{site.code}/utdeling").get_data(as_text=True)
    assert "<legend>Kondomer</legend>" in page
