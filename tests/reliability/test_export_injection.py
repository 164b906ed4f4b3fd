"""Text users typed never becomes a formula in any export (DESIGN.md invariant 12, issue 18).

Every name and free-text field holds something a spreadsheet would run; every xlsx and CSV the
API, the web pages and the CLI hand out is opened again and read cell by cell.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from tests.factories import api_client, login, make_item, make_lot, make_site, make_user
from tracker.dates import today
from tracker.exports import cells
from tracker.exports.cells import csv_cell, from_csv
from tracker.extensions import db
from tracker.models import SiteItem
from tracker.services import naloxone, stock, tallies, training
from tracker.services.access import Actor

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SITE_NAME = '=HYPERLINK("http://x","klikk")'
MUNICIPALITY_NAME = "+1+1"
ITEM_NB = "=cmd|' /C calc'!A0"
ITEM_EN = "-2+3"
USER_NAME = "@SUM(A1:A9)"
LOTS = ('=HYPERLINK("http://x","klikk")', "+1+1", "-1", "@A1", "\t=1+1", "'=2+2", "#N/A")
TEXT = "=1+2"  # notes, trainer: stored, never exported as a formula either
START = today() - timedelta(days=20)
END = today()
PERIOD = f"from={START.isoformat()}&to={END.isoformat()}"
WEB_PERIOD = f"fra={START.isoformat()}&til={END.isoformat()}"


@pytest.fixture
def world(app):
    """One site, two items and a user, every name and text field hostile, with data to show."""
    site = make_site("OSL-MO", municipality="0301")
    site.name = SITE_NAME
    site.municipality.name = MUNICIPALITY_NAME
    syringes = make_item("SPR-2", "syringe")
    syringes.name_nb, syringes.name_en = ITEM_NB, ITEM_EN
    kits = make_item("NAL-1", "naloxone")
    kits.name_nb, kits.name_en = ITEM_NB, ITEM_EN
    for number in LOTS:
        make_lot(kits, number, expiry=today() + timedelta(days=60))
    admin = make_user("admin")
    admin.name = USER_NAME
    db.session.add(SiteItem(site_id=site.id, item_id=syringes.id, reorder_level=500))
    db.session.commit()
    actor = Actor(admin)
    stock.receive(
        actor,
        site_code="OSL-MO",
        received_on=START,
        lines=[{"item": "NAL-1", "quantity": 5, "lot": n} for n in LOTS]
        + [{"item": "SPR-2", "quantity": 100}],
        note=TEXT,
    )
    tallies.create_tally(
        actor,
        site_code="OSL-MO",
        entry_date=START + timedelta(days=1),
        contacts=4,
        lines=[{"item": "SPR-2", "quantity": 40}],
        note=TEXT,
    )
    for number in LOTS:
        naloxone.hand_out(
            actor,
            site_code="OSL-MO",
            handed_out_on=START + timedelta(days=2),
            quantity=1,
            recipient_group="pwud",
            first_time=False,
            refill_reason="used_on_overdose",
            training_given=True,
            lot=number,
        )
    training.record_session(
        actor,
        site_code="OSL-MO",
        held_on=START + timedelta(days=3),
        training_type="naloxone",
        counts={"pwud": 6},
        trainer=TEXT,
        note=TEXT,
    )
    return admin


def assert_xlsx_is_inert(body: bytes, *expected: str) -> set[str]:
    """No formula anywhere; text that looks like one is a text cell. Returns the texts seen."""
    book = load_workbook(io.BytesIO(body), data_only=False)
    texts: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert cell.data_type != "e", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    texts.add(cell.value)
                elif cell.value is not None:
                    assert cell.data_type in ("n", "d"), (sheet.title, cell.coordinate)
    missing = set(expected) - texts
    assert not missing, f"hostile values not in the workbook: {missing}"
    return texts


def assert_csv_is_inert(text: str, *expected: str) -> list[list[str]]:
    """No field starts like a formula unless a `'` neutralises it; the values come back."""
    text = text.removeprefix("\ufeff")
    delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    fields = [field for row in rows for field in row]
    for field in fields:
        assert not field.startswith(FORMULA_START), field
    seen = {from_csv(field) for field in fields}
    missing = set(expected) - seen
    assert not missing, f"hostile values not in the CSV: {missing}"
    for value in expected:
        assert csv_cell(value) in fields
    return rows


def download(get, path: str) -> bytes:
    """The file a GET answers with (its response closed: send_file holds the file open)."""
    response = get(path)
    try:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.get_data()
    finally:
        response.close()


XLSX_API = [
    (f"/exports/summary.xlsx?{PERIOD}&lang=nb", (SITE_NAME, MUNICIPALITY_NAME, ITEM_NB)),
    (f"/exports/summary.xlsx?{PERIOD}&lang=en", (SITE_NAME, MUNICIPALITY_NAME, ITEM_EN)),
    (f"/exports/summary.xlsx?{PERIOD}&external=true", (SITE_NAME, ITEM_NB)),
    ("/reorder.xlsx", (ITEM_NB,)),
    ("/imports/template.xlsx?lang=nb", ()),
    ("/imports/template.xlsx?lang=en", ()),
]
XLSX_WEB = [
    (f"/rapporter/sammendrag.xlsx?{WEB_PERIOD}&sprak=nb", (SITE_NAME, ITEM_NB)),
    (f"/rapporter/sammendrag.xlsx?{WEB_PERIOD}&sprak=en&ekstern=y", (SITE_NAME, ITEM_EN)),
    ("/bestilling.xlsx", (ITEM_NB,)),
    ("/import/mal.xlsx", ()),
]
CSV_API = [
    (f"/reports/distribution.csv?{PERIOD}&by=month", (SITE_NAME,)),
    (f"/imports/export.csv?{PERIOD}&lang=nb", LOTS),
    (f"/imports/export.csv?{PERIOD}&lang=en", LOTS),
    ("/imports/template.csv?lang=nb", ()),
    ("/imports/template.csv?lang=en", ()),
]
CSV_WEB = [
    (f"/import/eksport.csv?{WEB_PERIOD}&sprak=nb", LOTS),
    (f"/import/eksport.csv?{WEB_PERIOD}&sprak=en", LOTS),
    ("/import/mal.csv", ()),
]


@pytest.mark.parametrize(("path", "expected"), XLSX_API)
def test_api_workbooks_hold_no_formula(world, client, path, expected):
    assert_xlsx_is_inert(download(api_client(client, world).get, path), *expected)


@pytest.mark.parametrize(("path", "expected"), XLSX_WEB)
def test_web_workbooks_hold_no_formula(world, client, path, expected):
    login(client, world)
    assert_xlsx_is_inert(download(client.get, path), *expected)


@pytest.mark.parametrize(("path", "expected"), CSV_API)
def test_api_csv_files_neutralise_formulas(world, client, path, expected):
    text = download(api_client(client, world).get, path).decode()
    assert_csv_is_inert(text, *expected)


@pytest.mark.parametrize(("path", "expected"), CSV_WEB)
def test_web_csv_files_neutralise_formulas(world, client, path, expected):
    login(client, world)
    assert_csv_is_inert(download(client.get, path).decode(), *expected)


def test_the_about_sheet_names_the_user_as_text(world, client):
    texts = assert_xlsx_is_inert(
        download(api_client(client, world).get, f"/exports/summary.xlsx?{PERIOD}")
    )
    assert any(t.startswith(USER_NAME) for t in texts)


def test_cli_exports_hold_no_formula(world, runner, tmp_path: Path):
    book = tmp_path / "sammendrag.xlsx"
    result = runner.invoke(
        args=["export", "summary", "--from", START.isoformat(), "--to", END.isoformat()]
        + ["--user", world.email, "-o", str(book)]
    )
    assert result.exit_code == 0, result.output
    assert_xlsx_is_inert(book.read_bytes(), SITE_NAME, ITEM_NB)
    text = tmp_path / "utdeling.csv"
    result = runner.invoke(
        args=["export", "distribution", "--from", START.isoformat(), "--to", END.isoformat()]
        + ["--user", world.email, "-o", str(text)]
    )
    assert result.exit_code == 0, result.output
    assert_csv_is_inert(text.read_text(encoding="utf-8"), *LOTS)


def test_numbers_stay_numbers_and_negative_numbers_are_not_text(world, client):
    """Only text is neutralised: quantities are numeric cells, -1 as a lot number is text."""
    api = api_client(client, world)
    body = download(api.get, f"/exports/summary.xlsx?{PERIOD}")
    book = load_workbook(io.BytesIO(body))
    summary = book.worksheets[0]
    numbers = [c for row in summary.iter_rows(min_row=2) for c in row if c.data_type == "n"]
    assert any(c.value == 40 for c in numbers)  # the syringes handed out
    text = download(api.get, f"/imports/export.csv?{PERIOD}&lang=en").decode()
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert {row["quantity"] for row in rows if row["quantity"]} >= {"40", "1"}
    assert "'-1" in {row["lot"] for row in rows}


@given(st.text())
def test_taking_the_quote_off_gives_back_any_text(text):
    assert from_csv(csv_cell(text)) == text
    assert not str(csv_cell(text)).startswith(FORMULA_START)


@pytest.mark.parametrize("number", [-3, -2.5, 0, 7])
def test_numbers_are_never_neutralised(number):
    assert csv_cell(number) == number


def test_a_text_cell_stays_text_whatever_it_starts_with():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("T")
    made = [cells.cell(sheet, v) for v in ("=1+1", "#N/A", "-1", "tekst")]
    assert [c.data_type for c in made] == ["s"] * 4
    assert cells.cell(sheet, -1, "0").data_type == "n"
