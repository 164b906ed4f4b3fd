"""Bounds on an import file, checked before it is read and while it is (issue 18, part 3).

An xlsx file is a zip of XML parts. Before openpyxl opens one: its central directory is
small, and the declared size of every part (smaller for those read whole, such as the shared
strings), their total and each large part's compression ratio are bounded (zipfile never
inflates a part beyond its declared size, so this bounds what is read). The first sheet's
`<dimension>` and its real extent (every row and cell reference, measured by a fast lxml scan
that keeps no rows) are within the bounds before a single row is walked, so a far-away cell
is refused rather than walked to. openpyxl parses the XML with defusedxml, so entity
declarations are refused. A CSV file is read line by line with a length bound, its rows and
columns counted.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, NoReturn

from defusedxml import ElementTree
from flask_babel import lazy_gettext as _l
from lxml import etree

from tracker.errors import ValidationError

MAX_COLUMNS = 64  # the import format has 12 columns: room for blank and repeated ones
MAX_CENTRAL_DIRECTORY = 1 << 20  # an import workbook has a few dozen parts, not thousands
LARGE_PART = 1 << 20  # parts smaller than this may compress as well as they like
# Parts outside xl/worksheets/ that openpyxl reads whole into memory (the shared strings,
# styles): 10 MB of tiny shared strings take about 70 MB as Python strings.
MAX_WHOLE_PART = 10 * 1024 * 1024
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")


@dataclass(frozen=True)
class Limits:
    """How large an import file may be; the defaults hold a million rows of CSV."""

    rows: int = 1_000_000  # data rows (the heading row comes on top)
    unzipped: int = 50 * 1024 * 1024  # bytes, all parts of a workbook together
    ratio: int = 100  # uncompressed / compressed, for each part over LARGE_PART
    columns: int = MAX_COLUMNS
    line: int = 64 * 1024  # characters in one line of CSV

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            rows=int(config.get("IMPORT_MAX_ROWS", cls.rows)),
            unzipped=int(config.get("IMPORT_MAX_UNZIPPED_BYTES", cls.unzipped)),
            ratio=int(config.get("IMPORT_MAX_ZIP_RATIO", cls.ratio)),
        )


class FileRefused(ValidationError):
    """The file is too large or too odd to read: refused before its rows are walked."""

    title, slug = _l("Importfilen ble avvist"), "import-file-refused"


def refuse(detail: Any, why: Any) -> NoReturn:
    raise FileRefused(detail, {"file": [why]})


def refuse_entities() -> NoReturn:
    """XML entity declarations: a spreadsheet never needs them; expanding them is an attack."""
    refuse(
        _l(
            "Excel-filen deklarerer XML-entiteter, som et regneark aldri trenger (et angrep "
            "med entitetsutvidelse?)."
        ),
        _l("XML-entiteter."),
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB".replace(",", " ")


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


# --- xlsx -----------------------------------------------------------------------------------


def _central_directory_size(stream: IO[bytes]) -> int:
    """The zip's directory size from its end record, read before zipfile builds the listing."""
    stream.seek(0, io.SEEK_END)
    end = stream.tell()
    size = min(end, 22 + 0xFFFF)  # the end record, and a comment of at most 64 KB
    stream.seek(end - size)
    tail = stream.read(size)
    stream.seek(0)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        refuse(_l("Excel-filen kan ikke leses: den er ikke en hel zip-fil."), _l("Ikke zip."))
    if tail[max(at - 20, 0) : at].startswith(_ZIP64_LOCATOR):
        return 1 << 32  # a zip64 directory: far more parts than any workbook to import
    return int(struct.unpack_from("<L", tail, at + 12)[0])


def check_workbook(stream: IO[bytes], limits: Limits) -> None:
    """Refuse a zip whose listing or parts would take too long or too much memory to read."""
    if _central_directory_size(stream) > MAX_CENTRAL_DIRECTORY:
        refuse(
            _l("Excel-filen har altfor mange deler til å være en arbeidsbok."),
            _l("For mange deler."),
        )
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        refuse(_l("Excel-filen kan ikke leses: den er ikke en gyldig zip-fil."), _l("Ikke zip."))
    total = 0
    with archive:
        for part in archive.infolist():
            total += part.file_size
            if total > limits.unzipped:
                refuse(
                    _l(
                        "Excel-filen pakkes ut til mer enn %(size)s; del den i flere filer, "
                        "eller lagre den som CSV.",
                        size=_mb(limits.unzipped),
                    ),
                    _l("Mer enn %(size)s utpakket.", size=_mb(limits.unzipped)),
                )
            if part.file_size > MAX_WHOLE_PART and not part.filename.startswith("xl/worksheets/"):
                refuse(
                    _l(
                        "Delen %(part)s i Excel-filen pakkes ut til mer enn %(size)s (så mye "
                        "tekst utenom dataene?); lagre arket som CSV og importer det.",
                        part=part.filename[:64],
                        size=_mb(MAX_WHOLE_PART),
                    ),
                    _l("En del over %(size)s.", size=_mb(MAX_WHOLE_PART)),
                )
            if part.file_size > LARGE_PART and part.file_size > limits.ratio * max(
                part.compress_size, 1
            ):
                refuse(
                    _l(
                        "Delen %(part)s i Excel-filen er komprimert mer enn %(ratio)s til 1, "
                        "noe et regneark aldri er (en zip-bombe?).",
                        part=part.filename[:64],
                        ratio=limits.ratio,
                    ),
                    _l("Komprimert for mye."),
                )
    stream.seek(0)


def check_dimension(max_row: int | None, max_column: int | None, limits: Limits) -> None:
    """The sheet's own `<dimension>` claim, read by openpyxl, within the bounds."""
    if max_row is not None and max_row > limits.rows + 1:
        refuse(
            _l(
                "Arket sier at det har %(rows)s rader (dimensjonen); høyst %(max)s rader kan "
                "importeres fra én fil.",
                rows=_count(max_row),
                max=_count(limits.rows),
            ),
            _l("For mange rader."),
        )
    if max_column is not None and max_column > limits.columns:
        _too_many_columns(limits)


def _too_many_columns(limits: Limits) -> NoReturn:
    refuse(
        _l(
            "Arket har celler etter kolonne %(max)s; importformatet har langt færre. Slett "
            "kolonnene til høyre for dataene.",
            max=limits.columns,
        ),
        _l("For mange kolonner."),
    )


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def first_sheet_part(archive: zipfile.ZipFile) -> str:
    """The zip path of the workbook's first sheet (the one openpyxl's worksheets[0] reads).

    Read from the package itself, as the OOXML standard lays it out: the first <sheet> of
    xl/workbook.xml names a relationship whose target, in xl/_rels/workbook.xml.rels, is the
    sheet's part. Both parts are small and parsed with defusedxml.
    """
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        sheet = next(book.iter(f"{_MAIN}sheet"))
        wanted = sheet.get(_RELATIONSHIP)
        target = next(
            r.get("Target", "") for r in rels.iter(f"{_PACKAGE_RELS}Relationship")
            if r.get("Id") == wanted
        )  # fmt: skip
    except (KeyError, StopIteration, ElementTree.ParseError):
        refuse(_l("Excel-filen kan ikke leses: den har ikke noe ark."), _l("Ikke noe ark."))
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def sheet_extent(part: IO[bytes], limits: Limits) -> tuple[int, int]:
    """(rows, columns) the sheet's cells really span, refused as soon as beyond the bounds.

    A streaming lxml scan of the sheet's XML that keeps no elements: far cheaper than the
    rows openpyxl would pad out to reach a far-away cell. Entities are not expanded here.
    """
    rows = columns = 0
    parser = etree.iterparse(
        part,
        events=("start", "end"),
        tag=f"{_MAIN}row",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for event, row in parser:
            if event == "start":
                if not rows and row.getroottree().docinfo.internalDTD is not None:
                    refuse_entities()
                continue
            reference = row.get("r")
            rows = int(reference) if reference and reference.isdigit() else rows + 1
            if rows > limits.rows + 1:
                refuse(
                    _l(
                        "Arket har en rad %(row)s; høyst %(max)s rader kan importeres fra én "
                        "fil. Slett det som står under dataene.",
                        row=_count(rows),
                        max=_count(limits.rows),
                    ),
                    _l("For mange rader."),
                )
            if len(row):
                last = row[-1].get("r") or ""
                found = _CELL_REF.match(last)
                width = _column_number(found[1]) if found else len(row)
                columns = max(columns, width, len(row))
                if columns > limits.columns:
                    _too_many_columns(limits)
            row.clear()  # and the rows before it: the scan keeps nothing
            parent = row.getparent()
            while parent is not None and row.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        if "entity" in str(exc).lower():  # an entity declared or used before the first row
            refuse_entities()
        refuse(_l("Excel-filen kan ikke leses: arket er ikke gyldig XML."), _l("Ugyldig XML."))
    return rows, columns


# --- csv ------------------------------------------------------------------------------------


def bounded_lines(text: IO[str], limits: Limits) -> Iterator[str]:
    """The text's lines, refusing one longer than the bound before it is held whole."""
    while line := text.readline(limits.line + 1):
        if len(line) > limits.line:
            refuse(
                _l(
                    "En linje i CSV-filen er lengre enn %(max)s tegn; er det virkelig en "
                    "CSV-fil i importformatet?",
                    max=_count(limits.line),
                ),
                _l("For lang linje."),
            )
        yield line


def bounded_rows(rows: Iterable[list[Any]], limits: Limits) -> Iterator[list[Any]]:
    """Rows as they come, refusing the first one past the row or column bound."""
    for number, row in enumerate(rows, start=1):
        if len(row) > limits.columns:
            refuse(
                _l(
                    "Rad %(row)s har %(count)s kolonner; importformatet har langt færre, og "
                    "høyst %(max)s leses.",
                    row=_count(number),
                    count=_count(len(row)),
                    max=limits.columns,
                ),
                _l("For mange kolonner."),
            )
        if number > limits.rows + 1:
            refuse(
                _l(
                    "Filen har mer enn %(max)s rader; del den i flere filer.",
                    max=_count(limits.rows),
                ),
                _l("For mange rader."),
            )
        yield row
