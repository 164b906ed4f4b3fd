"""Hostile import files are refused fast, with a clear 422, and without the memory to read them.

Each file is built here: a zip bomb, billion laughs, a sheet whose one cell sits at XFD1048576
or whose dimension claims it, 20 000 CSV columns, one enormous CSV line (issue 18, part 3).
"""

from __future__ import annotations

import io
import resource
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import api_client, login, make_item, make_site, make_user
from tracker.errors import ValidationError
from tracker.services import import_files, imports
from tracker.services.access import Actor
from tracker.services.import_limits import Limits

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADINGS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>sted</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>dato</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>vare</t></is></c>'
    '<c r="D1" t="inlineStr"><is><t>antall</t></is></c></row>'
)
MB = 1024 * 1024


def multipart(data: bytes, name: str, **fields: str) -> dict:
    """The upload as one in-memory body: the test client would spool a large one to a file
    it never closes (flask.testing), which pytest then reports as unraisable."""
    upload = FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
    boundary, body = encode_multipart({"file": upload, **fields})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def workbook(sheet_xml: bytes | Callable[[zipfile.ZipFile], None], **parts: bytes) -> bytes:
    """The import template with its data sheet replaced (bytes, or written by a function)."""
    template = zipfile.ZipFile(io.BytesIO(import_files.template_xlsx("nb")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for info in template.infolist():
            if info.filename == SHEET:
                if callable(sheet_xml):
                    sheet_xml(book)
                else:
                    book.writestr(SHEET, sheet_xml)
            else:
                book.writestr(info.filename, parts.get(info.filename, template.read(info)))
    return out.getvalue()


def bomb(megabytes: int) -> bytes:
    """A sheet of the same data row over and over, `megabytes` of XML deflated to little."""
    row = b'<row><c t="inlineStr"><is><t>OSL-MO</t></is></c><c><v>1</v></c></row>' * 1000
    block = row * (MB // len(row) + 1)

    def write(book: zipfile.ZipFile) -> None:
        with book.open(SHEET, "w", force_zip64=True) as part:
            part.write((HEAD + "<sheetData>").encode())
            for _ in range(megabytes):
                part.write(block[:MB])
            part.write(b"</sheetData></worksheet>")

    return workbook(write)


def laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)
    )
    xml = HEAD.replace("\n", f"\n<!DOCTYPE worksheet [{entities}]>\n") + (
        f"<sheetData>{HEADINGS}"
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return workbook(xml.encode())


def sparse(dimension: str | None, far: str | None) -> bytes:
    head = HEAD + (f'<dimension ref="{dimension}"/>' if dimension else "")
    cells = ""
    if far:
        row = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        cells = f'<row r="{row}"><c r="{far}"><v>1</v></c></row>'
    return workbook(f"{head}<sheetData>{HEADINGS}{cells}</sheetData></worksheet>".encode())


def shared_strings() -> bytes:
    """12 MB of tiny shared strings: a 1.5 MB file that openpyxl would hold whole as 1M str."""
    strings = "".join(f"<si><t>{i:x}</t></si>" for i in range(12 * MB // 18))
    data = io.BytesIO(sparse(None, None))
    with zipfile.ZipFile(data, "a", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/sharedStrings.xml", f"<sst>{strings}</sst>")
    return data.getvalue()


def wide_csv() -> bytes:
    return ("sted;dato;vare;antall" + ";x" * 20_000 + "\n").encode()


def long_line_csv() -> bytes:
    return b"sted;dato;vare;antall\nOSL-MO;05.06.2025;SPR-2;" + b"9" * (8 * MB) + b"\n"


def many_parts() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as book:
        for index in range(30_000):
            book.writestr(f"xl/media/image{index:06}.bin", b"")
    return out.getvalue()


HOSTILE = {
    "zip-bomb": (lambda: bomb(300), "xlsx", "pakkes ut til mer enn"),
    "zip-bomb-under-the-size-bound": (lambda: bomb(40), "xlsx", "komprimert mer enn"),
    "billion-laughs": (laughs, "xlsx", "XML-entiteter"),
    "far-away-cell": (lambda: sparse(None, "XFD1048576"), "xlsx", "rad 1 048 576"),
    "far-away-column": (lambda: sparse(None, "XFD2"), "xlsx", "etter kolonne"),
    "claimed-dimension": (lambda: sparse("A1:XFD1048576", None), "xlsx", "dimensjonen"),
    "many-parts": (many_parts, "xlsx", "altfor mange deler"),
    "huge-shared-strings": (
        shared_strings,
        "xlsx",
        "sharedStrings.xml i Excel-filen pakkes ut",
    ),
    "wide-csv": (wide_csv, "csv", "kolonner"),
    "long-line-csv": (long_line_csv, "csv", "lengre enn"),
}


@pytest.fixture
def coordinator(app):
    make_site("OSL-MO", municipality="0301")
    make_item("SPR-2", "syringe")
    return make_user("coordinator", municipality="0301")


def test_openpyxl_parses_xml_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_api_refuses_a_hostile_file_fast_and_says_why(coordinator, client, kind):
    build, suffix, why = HOSTILE[kind]
    data = build()
    api = api_client(client, coordinator)
    started = time.perf_counter()
    response = api.post(
        "/imports", json=None, **multipart(data, f"hostile.{suffix}", dry_run="true")
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert why.lower() in response.json["detail"].lower(), response.json
    assert elapsed < 5, f"{kind}: {elapsed:.1f} s"


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_import_page_refuses_a_hostile_file_fast_with_a_message(
    coordinator, client, app, monkeypatch, kind
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    build, suffix, why = HOSTILE[kind]
    data = build()
    login(client, coordinator)
    started = time.perf_counter()
    response = client.post("/import", **multipart(data, f"hostile.{suffix}"))
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Importen ble avvist" in html  # on the import page, as a message
    assert why.lower() in html.lower()
    assert elapsed < 5, f"{kind}: {elapsed:.1f} s"


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_file_takes_little_memory_to_refuse(coordinator, kind):
    build, suffix, _ = HOSTILE[kind]
    data = build()
    actor = Actor(coordinator)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError):
            imports.import_file(actor, io.BytesIO(data), f"hostile.{suffix}", dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert peak < 200 * MB, f"{kind}: {peak / MB:.0f} MB"
    assert grown < 200 * 1024, f"{kind}: peak RSS grew {grown / 1024:.0f} MB"


def test_a_csv_with_more_rows_than_the_bound_is_refused(coordinator, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 100)
    rows = "".join(f"OSL-MO;{1 + i % 28:02}.06.2025;SPR-2;1\n" for i in range(101))
    data = ("sted;dato;vare;antall\n" + rows).encode()
    with pytest.raises(ValidationError, match="mer enn 100 rader"):
        imports.import_file(Actor(coordinator), io.BytesIO(data), "h.csv", dry_run=True)
    rows = "".join(f"OSL-MO;{1 + i:02}.06.2025;SPR-2;1\n" for i in range(28))
    result = imports.import_file(
        Actor(coordinator), io.BytesIO(("sted;dato;vare;antall\n" + rows).encode()), "h.csv"
    )
    assert result.imported == 28


def test_a_workbook_within_the_bounds_still_imports(coordinator, app, monkeypatch):
    """A real sheet whose rows lie below a gap, and a dimension that understates the sheet."""
    rows = '<row r="5"><c r="A5" t="inlineStr"><is><t>OSL-MO</t></is></c>'
    rows += '<c r="B5" t="inlineStr"><is><t>05.06.2025</t></is></c>'
    rows += '<c r="C5" t="inlineStr"><is><t>SPR-2</t></is></c><c r="D5"><v>7</v></c></row>'
    xml = HEAD + '<dimension ref="A1:D1"/>' + f"<sheetData>{HEADINGS}{rows}</sheetData>"
    data = workbook((xml + "</worksheet>").encode())
    result = imports.import_file(Actor(coordinator), io.BytesIO(data), "h.xlsx")
    assert (result.rows, result.imported) == (1, 1)
    assert Limits.from_config(app.config) == Limits()


def test_an_english_api_client_reads_why_in_english(coordinator, client):
    api = api_client(client, coordinator)
    response = api.post(
        "/imports",
        json=None,
        headers={"Accept-Language": "en"},
        **multipart(sparse("A1:XFD1048576", None), "hostile.xlsx"),
    )
    assert response.status_code == 422
    assert "rows (its dimension)" in response.json["detail"]
    assert response.json["type"].endswith("/import-file-refused")


def _package(rewrite: Callable[[str, bytes], bytes]) -> zipfile.ZipFile:
    """A two-sheet workbook as openpyxl writes it, with some parts rewritten."""
    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.create_sheet("Other")
    written = io.BytesIO()
    book.save(written)
    rewritten = io.BytesIO()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, rewrite(info.filename, source.read(info.filename)))
    return zipfile.ZipFile(rewritten)


def test_the_first_sheet_is_found_from_the_package_relationships():
    """The sheet scanned for its extent is the one openpyxl reads first, named by the
    workbook's relationships (relative or absolute targets), without openpyxl's internals."""
    from tracker.services.import_limits import first_sheet_part

    assert first_sheet_part(_package(lambda name, data: data)) == "xl/worksheets/sheet1.xml"

    def absolute_and_swapped(name: str, data: bytes) -> bytes:
        if name == "xl/_rels/workbook.xml.rels":
            data = data.replace(b'Target="/xl/worksheets/sheet1.xml"', b'Target="X"')
            data = data.replace(b'Target="worksheets/sheet1.xml"', b'Target="X"')
            data = data.replace(b'Target="/xl/worksheets/sheet2.xml"', b'Target="Y"')
            data = data.replace(b'Target="worksheets/sheet2.xml"', b'Target="Y"')
            data = data.replace(b'Target="X"', b'Target="/xl/worksheets/sheet2.xml"')
            data = data.replace(b'Target="Y"', b'Target="worksheets/sheet1.xml"')
        return data

    assert first_sheet_part(_package(absolute_and_swapped)) == "xl/worksheets/sheet2.xml"


def test_a_package_without_a_sheet_is_refused():
    from tracker.services.import_limits import first_sheet_part

    def no_rels(name: str, data: bytes) -> bytes:
        return b"<Relationships/>" if name == "xl/_rels/workbook.xml.rels" else data

    with pytest.raises(ValidationError) as refused:
        first_sheet_part(_package(no_rels))
    assert refused.value.status == 422
