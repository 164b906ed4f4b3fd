"""Importing historical distribution: checks, all-or-nothing, re-import, edits, the ledger."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import make_item, make_lot, make_site, make_user
from tests.querycount import count_queries
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ContactsDaily,
    DistributionDaily,
    ImportBatch,
    NaloxoneHandout,
    StockMovement,
    TallyEntry,
)
from tracker.services import imports, ledger_check, tallies
from tracker.services.access import Actor

HEADER = (
    "sted;dato;måned;vare;antall;kontakter;merknad;parti;"
    "mottakergruppe;førstegang;påfyllsgrunn;opplæring"
)


def csv_file(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8"))


@pytest.fixture
def world(app):
    site = make_site("OSL-MO", municipality="0301")
    other = make_site("BGO-MO", municipality="4601")
    syringe = make_item("SPR-2", "syringe")
    foil = make_item("FOLIE", "foil")
    nal = make_item("NAL-1", "naloxone")
    lot = make_lot(nal, "L1")
    coordinator = make_user("coordinator", municipality="0301")
    return {
        "site": site,
        "other": other,
        "syringe": syringe,
        "foil": foil,
        "nal": nal,
        "lot": lot,
        "actor": Actor(coordinator),
        "coordinator": coordinator,
    }


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (StockMovement, TallyEntry, NaloxoneHandout, ImportBatch, DistributionDaily)
    }


def daily() -> dict[tuple[int, int, date], int]:
    return {
        (d.site_id, d.item_id, d.day): d.quantity
        for d in db.session.scalars(select(DistributionDaily))
    }


def test_import_writes_distribution_through_the_ledger(world):
    f = csv_file(
        "OSL-MO;05.06.2025;;SPR-2;1 234;12;;;;;;",
        "OSL-MO;05.06.2025;;FOLIE;40;;;;;;;",
        "OSL-MO;2025-06-06;;SPR-2;10;3;;;;;;",
        "OSL-MO;;03.2025;SPR-2;5\u00a0000;100;;;;;;",
        "OSL-MO;06.06.2025;;NAL-1;2;;;L1;pårørende;ja;;nei",
    )
    result = imports.import_file(world["actor"], f, "hist.csv")
    assert result.ok, result.errors
    assert result.imported == 5
    s, spr, fo, nal = world["site"].id, world["syringe"].id, world["foil"].id, world["nal"].id
    assert daily() == {
        (s, spr, date(2025, 6, 5)): 1234,
        (s, fo, date(2025, 6, 5)): 40,
        (s, spr, date(2025, 6, 6)): 10,
        (s, spr, date(2025, 3, 1)): 5000,
        (s, nal, date(2025, 6, 6)): 2,
    }
    assert ledger_check.verify() == []
    monthly = db.session.scalar(select(TallyEntry).where(TallyEntry.granularity == "month"))
    assert monthly.entry_date == date(2025, 3, 1)
    assert monthly.contacts == 100
    handout = db.session.scalars(select(NaloxoneHandout)).one()
    assert (handout.recipient_group, handout.first_time, handout.lot_id) == (
        "relative",
        True,
        world["lot"].id,
    )
    movements = db.session.scalars(select(StockMovement)).all()
    assert {m.import_batch_id for m in movements} == {result.batch_id}
    assert sorted(m.import_row for m in movements) == [2, 3, 4, 5, 6]
    assert {m.recorded_by_id for m in movements} == {world["coordinator"].id}
    contacts = {(c.site_id, c.day): c.contacts for c in db.session.scalars(select(ContactsDaily))}
    assert contacts == {
        (s, date(2025, 6, 5)): 12,
        (s, date(2025, 6, 6)): 3,
        (s, date(2025, 3, 1)): 100,
    }
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "import_batch")).one()
    assert event.user_id == world["coordinator"].id
    assert event.after["imported"] == 5


def _file(result_rows: list[str]) -> io.BytesIO:
    return csv_file("OSL-MO;05.06.2025;;SPR-2;10;;;;;;;", *result_rows)


NO_DATA = {
    "stock_movement": 0,
    "tally_entry": 0,
    "naloxone_handout": 0,
    "import_batch": 0,
    "distribution_daily": 0,
}


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("NOPE;05.06.2025;;SPR-2;10;;;;;;;", "sted", "Ukjent sted"),
        ("BGO-MO;05.06.2025;;SPR-2;10;;;;;;;", "sted", "kan ikke importere"),
        (";05.06.2025;;SPR-2;10;;;;;;;", "sted", "mangler"),
        ("OSL-MO;05.06.2025;;NOPE;10;;;;;;;", "vare", "Ukjent vare"),
        ("OSL-MO;05.06.2025;;OLD;10;;;;;;;", "vare", "ikke lenger i bruk"),
        ("OSL-MO;05.06.2025;;SPR-2;12,5;;;;;;;", "antall", "desimal"),
        ("OSL-MO;05.06.2025;;SPR-2;1.234;;;;;;;", "antall", "desimal"),
        ("OSL-MO;05.06.2025;;SPR-2;-4;;;;;;;", "antall", "negative"),
        ("OSL-MO;05.06.2025;;SPR-2;mange;;;;;;;", "antall", "Ikke et tall"),
        ("OSL-MO;05.06.2025;;SPR-2;;;;;;;;", "antall", "mangler"),
        ("OSL-MO;05.06.2025;;SPR-2;10;1,5;;;;;;", "kontakter", "desimal"),
        ("OSL-MO;31.02.2025;;SPR-2;10;;;;;;;", "dato", "kalenderen"),
        ("OSL-MO;5/6/2025;;SPR-2;10;;;;;;;", "dato", "dd.mm.åååå"),
        ("OSL-MO;01.01.1999;;SPR-2;10;;;;;;;", "dato", "utenfor tillatt område"),
        ("OSL-MO;01.01.2999;;SPR-2;10;;;;;;;", "dato", "utenfor tillatt område"),
        ("OSL-MO;;13.2025;SPR-2;10;;;;;;;", "måned", "kalenderen"),
        ("OSL-MO;;;SPR-2;10;;;;;;;", "dato", "mangler"),
        ("OSL-MO;05.06.2025;06.2025;SPR-2;10;;;;;;;", "måned", "ikke begge"),
        ("OSL-MO;05.06.2025;;SPR-2;10;;;;;;;", "vare", "Samme som rad 2"),
        ("OSL-MO;05.06.2025;;FOLIE;10;;fnr 31129956715;;;;;", "merknad", "fødselsnummer"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L1;;ja;;nei", "mottakergruppe", "Må fylles ut"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L1;venn;ja;;nei", "mottakergruppe", "Ukjent"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L1;bruker;;;nei", "førstegang", "Må fylles ut"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L1;bruker;kanskje;;nei", "førstegang", "ja eller nei"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L1;bruker;nei;;nei", "påfyllsgrunn", "må ha en grunn"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L1;bruker;ja;mistet;nei", "påfyllsgrunn", "førstegangs"),
        ("OSL-MO;05.06.2025;;NAL-1;0;;;L1;bruker;ja;;nei", "antall", "minst 1"),
        ("OSL-MO;05.06.2025;;NAL-1;1;;;L9;bruker;ja;;nei", "parti", "ikke noe parti"),
        ("OSL-MO;05.06.2025;;FOLIE;1;;;;bruker;;;", "mottakergruppe", "Bare for nalokson"),
    ],
)
def test_every_kind_of_bad_row_names_its_row_and_column_and_nothing_is_written(
    world, row, column, message
):
    make_item("OLD", "syringe", active=False)
    f = _file([row, "OSL-MO;06.06.2025;;SPR-2;10;;;;;;;"])
    with pytest.raises(imports.ImportRefused) as caught:
        imports.import_file(world["actor"], f, "bad.csv")
    errors = caught.value.errors["rows"]
    assert any(
        e["row"] == 3 and e["column"] == column and message.lower() in e["message"].lower()
        for e in errors
    ), errors
    assert all(e["row"] == 3 for e in errors), errors
    assert errors[0]["cell"].endswith("3")
    assert counts() == NO_DATA


def test_a_dry_run_reports_the_errors_of_every_bad_row_and_writes_nothing(world):
    f = _file(["NOPE;05.06.2025;;SPR-2;10;;;;;;;", "OSL-MO;05.06.2025;;SPR-2;x;;;;;;;"])
    result = imports.import_file(world["actor"], f, "bad.csv", dry_run=True)
    assert not result.ok
    assert [(e["row"], e["column"]) for e in result.errors] == [(3, "sted"), (4, "antall")]
    assert counts() == NO_DATA


def test_a_dry_run_lists_rows_and_totals_and_writes_nothing(world):
    f = _file(["OSL-MO;06.06.2025;;SPR-2;1 000;;;;;;;", "OSL-MO;;01.2025;FOLIE;7;5;;;;;;"])
    result = imports.import_file(world["actor"], f, "hist.csv", dry_run=True)
    assert result.ok
    assert result.imported == 3
    assert [p["row"] for p in result.preview] == [2, 3, 4]
    totals = {(t["site"], t["item"], t["granularity"]): t.get("quantity") for t in result.totals}
    assert totals[("OSL-MO", "SPR-2", "day")] == 1010
    assert totals[("OSL-MO", "FOLIE", "month")] == 7
    assert {"site": "OSL-MO", "item": None, "granularity": None, "contacts": 5} in result.totals
    assert counts() == NO_DATA


def test_headings_must_be_known_and_the_required_columns_present(world):
    f = csv_file("OSL-MO;10", header="sted;antall;farge")
    with pytest.raises(ValidationError) as caught:
        imports.import_file(world["actor"], f, "bad.csv")
    assert "C1" in caught.value.errors
    assert "vare" in str(caught.value.errors["header"]) or "item" in str(
        caught.value.errors["header"]
    )


def test_english_headings_with_commas_are_read_too(world):
    f = io.BytesIO(b'Site,Date,Item,Quantity,Contacts\nOSL-MO,2025-06-05,SPR-2,"1 234",3\n')
    result = imports.import_file(world["actor"], f, "en.csv")
    assert result.imported == 1
    assert daily() == {(world["site"].id, world["syringe"].id, date(2025, 6, 5)): 1234}


def test_the_same_file_imported_twice_does_nothing_the_second_time(world):
    data = _file(["OSL-MO;;02.2025;FOLIE;300;;;;;;;"]).getvalue()
    first = imports.import_file(world["actor"], io.BytesIO(data), "a.csv")
    before = counts()
    again = imports.import_file(world["actor"], io.BytesIO(data), "a-copy.csv")
    assert again.already_imported
    assert again.batch_id == first.batch_id
    assert counts() == before
    assert ledger_check.verify() == []


def test_an_edited_file_is_refused_listing_the_rows_that_differ(world):
    imports.import_file(world["actor"], _file(["OSL-MO;06.06.2025;;SPR-2;20;4;;;;;;"]), "a.csv")
    before, before_daily = counts(), daily()
    edited = _file(["OSL-MO;06.06.2025;;SPR-2;25;4;;;;;;", "OSL-MO;07.06.2025;;SPR-2;1;;;;;;;"])
    with pytest.raises(imports.ImportDiffers) as caught:
        imports.import_file(world["actor"], edited, "a.csv")
    assert caught.value.errors["rows"] == [{"row": 3, "column": "antall", "before": 20, "now": 25}]
    assert counts() == before
    assert daily() == before_daily


def test_changed_contacts_are_a_difference_too(world):
    imports.import_file(world["actor"], _file(["OSL-MO;06.06.2025;;SPR-2;20;4;;;;;;"]), "a.csv")
    edited = _file(["OSL-MO;06.06.2025;;SPR-2;20;5;;;;;;"])
    result = imports.import_file(world["actor"], edited, "a.csv", dry_run=True)
    assert result.differing == [{"row": 3, "column": "kontakter", "before": 4, "now": 5}]


def test_an_extended_file_imports_only_its_new_rows(world):
    imports.import_file(world["actor"], _file(["OSL-MO;06.06.2025;;SPR-2;20;4;;;;;;"]), "a.csv")
    longer = _file(["OSL-MO;06.06.2025;;SPR-2;20;4;;;;;;", "OSL-MO;07.06.2025;;SPR-2;7;2;;;;;;"])
    result = imports.import_file(world["actor"], longer, "a.csv")
    assert (result.imported, result.skipped) == (1, 2)
    s, spr = world["site"].id, world["syringe"].id
    assert daily() == {
        (s, spr, date(2025, 6, 5)): 10,
        (s, spr, date(2025, 6, 6)): 20,
        (s, spr, date(2025, 6, 7)): 7,
    }
    contacts = {c.day: c.contacts for c in db.session.scalars(select(ContactsDaily))}
    assert contacts == {date(2025, 6, 6): 4, date(2025, 6, 7): 2}
    assert ledger_check.verify() == []


def test_an_xlsx_file_is_read_with_dates_and_numbers_as_cells(world):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Sted", "Dato", "Måned", "Vare", "Antall", "Kontakter"])
    sheet.append(["OSL-MO", date(2025, 6, 5), None, "SPR-2", 1234, 3])
    sheet.append(["OSL-MO", None, "04.2025", "FOLIE", 50.0, None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["OSL-MO", "06.06.2025", None, "SPR-2", 12.5, None])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(imports.ImportRefused) as caught:
        imports.import_file(world["actor"], io.BytesIO(out.getvalue()), "h.xlsx")
    assert caught.value.errors["rows"][0]["cell"] == "E5"
    sheet.delete_rows(5)
    out = io.BytesIO()
    book.save(out)
    result = imports.import_file(world["actor"], io.BytesIO(out.getvalue()), "h.xlsx")
    assert result.imported == 2
    s = world["site"].id
    assert daily() == {
        (s, world["syringe"].id, date(2025, 6, 5)): 1234,
        (s, world["foil"].id, date(2025, 4, 1)): 50,
    }


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(world):
    with pytest.raises(ValidationError):
        imports.import_file(world["actor"], io.BytesIO(b"hello"), "h.xlsx")
    assert counts() == NO_DATA


@pytest.mark.parametrize("role", ["staff", "lead"])
def test_staff_and_leads_cannot_import(world, role):
    from tracker.errors import Forbidden

    user = make_user(role, sites=[world["site"]])
    with pytest.raises(Forbidden):
        imports.import_file(Actor(user), _file([]), "a.csv")
    assert counts() == NO_DATA


def test_an_admin_may_import_for_any_municipality(world):
    admin = make_user("admin")
    f = csv_file("BGO-MO;05.06.2025;;SPR-2;10;;;;;;;")
    assert imports.import_file(Actor(admin), f, "a.csv").imported == 1


def test_a_later_file_without_contacts_for_an_imported_day_is_not_a_difference(world):
    imports.import_file(world["actor"], _file(["OSL-MO;06.06.2025;;SPR-2;20;4;;;;;;"]), "a.csv")
    naloxone_only = csv_file("OSL-MO;06.06.2025;;NAL-1;2;;;L1;bruker;ja;;nei")
    result = imports.import_file(world["actor"], naloxone_only, "b.csv")
    assert result.ok
    assert result.imported == 1
    contacts = {c.day: c.contacts for c in db.session.scalars(select(ContactsDaily))}
    assert contacts[date(2025, 6, 6)] == 4
    assert ledger_check.verify() == []


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_import_gives_back_the_connections_page_cache(world, dry_run):
    """SQLite imports with a bigger page cache; the pooled connection gets its own back."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    raw = connection.connection.driver_connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    # The temp schema's own size: 0 until the connection has used temp storage, as when this
    # test runs first on a fresh connection.
    temp_before = raw.execute("PRAGMA temp.cache_size").fetchone()[0]
    f = csv_file("OSL-MO;05.06.2025;;SPR-2;3;;;;;;;")
    assert imports.import_file(world["actor"], f, "h.csv", dry_run=dry_run).ok
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == before
    assert raw.execute("PRAGMA temp.cache_size").fetchone()[0] == temp_before
    bad = csv_file("OSL-MO;05.06.2025;;SPR-2;-3;;;;;;;")
    with pytest.raises(imports.ImportRefused):
        imports.import_file(world["actor"], bad, "bad.csv", dry_run=False)
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == before


# An import refuses days (or months) that staff already entered in the app: no double counts

DAY_MESSAGE = (
    "Stedet har allerede utdeling registrert i appen denne dagen; en import ville telle "
    "den to ganger."
)


def app_entry(world, day: date, *, deleted: bool = False) -> TallyEntry:
    """A tally entry made by daily entry in the app (no import batch), with one line."""
    entry = tallies.create_tally(
        world["actor"],
        site_code=world["site"].code,
        entry_date=day,
        contacts=0,
        lines=[{"item": world["syringe"].code, "quantity": 5}],
    )
    return tallies.delete_tally(world["actor"], entry.id) if deleted else entry


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_day_entered_in_the_app_is_refused_with_row_and_column(world, dry_run):
    app_entry(world, date(2025, 6, 6))
    before, before_daily = counts(), daily()
    data = csv_file("OSL-MO;05.06.2025;;SPR-2;10;;;;;;;", "OSL-MO;06.06.2025;;FOLIE;4;2;;;;;;")
    if dry_run:
        result = imports.import_file(world["actor"], data, "a.csv", dry_run=True)
        errors = result.errors
        assert result.error_count == 1
        assert not result.ok
    else:
        with pytest.raises(imports.ImportRefused) as caught:
            imports.import_file(world["actor"], data, "a.csv")
        errors = caught.value.errors["rows"]
    assert errors == [{"row": 3, "column": "dato", "cell": "B3", "message": DAY_MESSAGE}]
    assert counts() == before
    assert daily() == before_daily


def test_english_headings_name_the_date_column(world):
    app_entry(world, date(2025, 6, 6))
    data = csv_file("OSL-MO,06.06.2025,SPR-2,10", header="site,date,item,quantity")
    result = imports.import_file(world["actor"], data, "a.csv", dry_run=True)
    assert [(e["row"], e["column"], e["cell"]) for e in result.errors] == [(2, "date", "B2")]


def test_a_different_day_is_imported(world):
    app_entry(world, date(2025, 6, 6))
    result = imports.import_file(
        world["actor"], csv_file("OSL-MO;07.06.2025;;SPR-2;10;;;;;;;"), "a.csv"
    )
    assert result.ok
    assert result.imported == 1
    assert ledger_check.verify() == []


def test_another_site_on_the_same_day_is_imported(world):
    app_entry(world, date(2025, 6, 6))
    admin_file = csv_file("BGO-MO;06.06.2025;;SPR-2;10;;;;;;;")
    result = imports.import_file(Actor(make_user("admin")), admin_file, "a.csv")
    assert result.ok
    assert result.imported == 1


def test_a_deleted_app_entry_does_not_block(world):
    app_entry(world, date(2025, 6, 6), deleted=True)
    result = imports.import_file(
        world["actor"], csv_file("OSL-MO;06.06.2025;;SPR-2;10;;;;;;;"), "a.csv"
    )
    assert result.ok
    assert result.imported == 1


def test_a_monthly_row_whose_month_has_an_app_entry_is_refused(world):
    app_entry(world, date(2025, 2, 28))
    before = counts()
    data = csv_file("OSL-MO;;01.2025;SPR-2;100;;;;;;;", "OSL-MO;;02.2025;SPR-2;90;;;;;;;")
    with pytest.raises(imports.ImportRefused) as caught:
        imports.import_file(world["actor"], data, "a.csv")
    [error] = caught.value.errors["rows"]
    assert (error["row"], error["column"], error["cell"]) == (3, "måned", "C3")
    assert "denne måneden" in error["message"]
    assert counts() == before


def test_reimporting_and_extending_an_imported_file_is_not_an_overlap(world):
    data = csv_file(
        "OSL-MO;06.06.2025;;SPR-2;10;2;;;;;;", "OSL-MO;;05.2025;SPR-2;90;;;;;;;"
    ).getvalue()
    first = imports.import_file(world["actor"], io.BytesIO(data), "a.csv")
    assert first.ok
    assert first.imported == 2
    before = counts()
    again = imports.import_file(world["actor"], io.BytesIO(data), "a.csv")
    assert again.already_imported
    assert counts() == before
    longer = data + b"OSL-MO;07.06.2025;;SPR-2;1;;;;;;;\n"
    extended = imports.import_file(world["actor"], io.BytesIO(longer), "a.csv")
    assert extended.ok
    assert (extended.imported, extended.skipped) == (1, 2)
    assert ledger_check.verify() == []


def test_the_check_is_one_statement_however_many_rows_overlap(world):
    for day in range(1, 21):
        app_entry(world, date(2025, 6, day))
    rows = [f"OSL-MO;{day:02}.06.2025;;SPR-2;{day};;;;;;;" for day in range(1, 31)]
    with count_queries() as counter:
        result = imports.import_file(world["actor"], csv_file(*rows), "a.csv", dry_run=True)
    assert result.error_count == 20
    assert [e["row"] for e in result.errors] == list(range(2, 22))
    overlap = [s for s in counter.statements if "tally_line" in s.lower()]
    assert len(overlap) == 1


def test_overlapping_rows_beyond_the_listed_ones_are_counted(world, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ERRORS", 3)
    for day in range(1, 6):
        app_entry(world, date(2025, 6, day))
    rows = [f"OSL-MO;{day:02}.06.2025;;SPR-2;{day};;;;;;;" for day in range(1, 11)]
    result = imports.import_file(world["actor"], csv_file(*rows), "a.csv", dry_run=True)
    assert result.error_count == 5
    assert [e["row"] for e in result.errors] == [2, 3, 4]


ROW = "OSL-MO;05.06.2025;;SPR-2;5;;;;;;;"


def test_a_file_other_than_the_checked_one_is_refused_before_anything_is_written(world):
    checked = imports.import_file(world["actor"], csv_file(ROW), "a.csv", dry_run=True)
    edited = csv_file(ROW.replace(";5;", ";6;"))
    with pytest.raises(imports.ImportFileChanged):
        imports.import_file(world["actor"], edited, "a.csv", expected_sha256=checked.file_hash)
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
    result = imports.import_file(
        world["actor"], csv_file(ROW), "a.csv", expected_sha256=checked.file_hash.upper()
    )
    assert result.batch_id is not None


def test_a_national_id_in_the_file_name_is_masked_on_the_batch(world):
    imports.import_file(world["actor"], csv_file(ROW), "liste 31129956715.csv")
    assert db.session.scalar(select(ImportBatch.filename)) == "liste ***********.csv"
