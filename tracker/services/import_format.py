"""The import file format: headings (bokmål or English), Norwegian numbers and dates, row checks.

Pure functions and a row validator over lookups given to it: no queries here, so the format is
testable on its own and the service decides what the lookups hold. docs/import.md describes
the format for people.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from openpyxl.utils import get_column_letter

from tracker.dates import EARLIEST
from tracker.errors import ValidationError
from tracker.exports.cells import from_csv
from tracker.models.distribution import REFILL_REASONS
from tracker.privacy import contains_national_id, is_national_id, redact_national_ids
from tracker.services.import_limits import (
    Limits,
    bounded_lines,
    bounded_rows,
    check_dimension,
    check_workbook,
    first_sheet_part,
    refuse_entities,
    sheet_extent,
)

MAX_QUANTITY = 10_000_000  # a month's figure for a large outlet stays far below this
MAX_CONTACTS = 1_000_000
MAX_NOTE = 2000

# canonical name -> accepted headings (compared lower-cased, spaces and '_' alike)
ALIASES: dict[str, tuple[str, ...]] = {
    "site": ("sted", "stedkode", "site", "site code"),
    "date": ("dato", "date", "dag", "day"),
    "month": ("måned", "maned", "month"),
    "item": ("vare", "varekode", "item", "item code"),
    "quantity": ("antall", "mengde", "quantity", "count"),
    "contacts": ("kontakter", "contacts"),
    "note": ("merknad", "kommentar", "note", "comment"),
    "lot": ("parti", "lot", "lotnummer", "lot number"),
    "recipient_group": ("mottakergruppe", "mottaker", "recipient group"),
    "first_time": ("førstegang", "forstegang", "første gang", "first time"),
    "refill_reason": ("påfyllsgrunn", "pafyllsgrunn", "grunn til påfyll", "refill reason"),
    "training_given": ("opplæring", "opplaering", "opplæring gitt", "training given"),
}
COLUMNS = tuple(ALIASES)
HEADINGS = {
    "nb": {c: ALIASES[c][0] for c in COLUMNS},
    "en": {c: c for c in COLUMNS},
}
DELIMITER = {"nb": ";", "en": ","}
REQUIRED = ("site", "item", "quantity")

_BOOLS = {
    "ja": True,
    "j": True,
    "yes": True,
    "y": True,
    "true": True,
    "sann": True,
    "1": True,
    "x": True,
    "nei": False,
    "n": False,
    "no": False,
    "false": False,
    "usann": False,
    "0": False,
}
RECIPIENT_GROUPS = {
    "pwud": "pwud",
    "bruker": "pwud",
    "person som bruker rusmidler": "pwud",
    "relative": "relative",
    "pårørende": "relative",
    "parorende": "relative",
    "staff": "staff",
    "ansatt": "staff",
    "other": "other",
    "annet": "other",
    "annen": "other",
}
REFILL_NB = {
    "brukt ved overdose": "used_on_overdose",
    "brukt på overdose": "used_on_overdose",
    "mistet": "lost",
    "stjålet": "stolen",
    "beslaglagt": "confiscated",
    "utløpt": "expired",
    "gått ut på dato": "expired",
    "annet": "other",
    "ukjent": "unknown",
}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_NB_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", re.ASCII)
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$", re.ASCII)
_NB_MONTH = re.compile(r"^(\d{1,2})[./](\d{4})$", re.ASCII)


class CellError(ValueError):
    """A cell's value is wrong; the message says why (never echoing personal data)."""


def _key(heading: str) -> str:
    return _SPACES.sub(" ", heading.replace("_", " ")).strip().lower()


_LOOKUP = {_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
_LOOKUP.update({_key(name): name for name in COLUMNS})


def map_headings(headings: list[Any]) -> dict[str, tuple[int, str]]:
    """canonical column -> (index, heading as written); refuses unknown or repeated headings."""
    found: dict[str, tuple[int, str]] = {}
    problems: dict[str, list[str]] = {}
    for index, raw in enumerate(headings):
        heading = "" if raw is None else str(raw).strip()
        if not heading:
            continue
        name = _LOOKUP.get(_key(heading))
        letter = get_column_letter(index + 1)
        if name is None:
            problems[f"{letter}1"] = [_l("Ukjent overskrift: %(heading)s.", heading=heading[:40])]
        elif name in found:
            problems[f"{letter}1"] = [
                _l("Kolonnen %(name)s står to ganger.", name=HEADINGS["nb"][name])
            ]
        else:
            found[name] = (index, heading)
    missing = [HEADINGS["nb"][c] for c in REQUIRED if c not in found]
    if "date" not in found and "month" not in found:
        missing.append(f"{HEADINGS['nb']['date']}/{HEADINGS['nb']['month']}")
    if missing:
        problems["header"] = [_l("Mangler kolonne(r): %(names)s.", names=", ".join(missing))]
    if problems:
        raise ValidationError(
            _l(
                "Første rad må ha kolonneoverskriftene fra importmalen (last ned malen for å "
                "se dem)."
            ),
            problems,
        )
    return found


def _digits(text: str) -> bool:
    """ASCII digits only: isdigit() also takes "1²" (int() refuses it) and "١٢" (int() reads it)."""
    return text.isascii() and text.isdigit()


def _whole(text: str, maximum: int) -> int:
    """The number ASCII digits spell, refused above the maximum before int() reads it."""
    if len(text.lstrip("0")) > len(str(maximum)):
        raise CellError(_too_large(maximum))
    return int(text)


def _too_large(maximum: int) -> Any:
    shown = format(maximum, ",").replace(",", " ")
    return _l("Mer enn %(max)s, og det er ikke trolig.", max=shown)


def parse_count(value: Any, maximum: int) -> int | None:
    """A whole, non-negative number: 1234 or "1 234" (any space kind); None if blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_l("Skriv et helt tall."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(_l("Antall er hele tall, uten desimaler."))
        number = int(value)
    elif isinstance(value, str) and _digits(value):  # the common case, fast
        number = _whole(value, maximum)
    else:
        text = _SPACES.sub("", str(value))
        if not text:
            return None
        if "," in text or "." in text:
            raise CellError(_l("Antall er hele tall: uten desimalkomma eller -punktum."))
        if text.startswith("-") and _digits(text[1:]):
            raise CellError(_l("Antall kan ikke være negative."))
        if not _digits(text):
            raise CellError(_l("Ikke et tall."))
        number = _whole(text, maximum)
    if number < 0:
        raise CellError(_l("Antall kan ikke være negative."))
    if number > maximum:
        raise CellError(_too_large(maximum))
    return number


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(_l("Datoen finnes ikke i kalenderen.")) from None


def parse_date(value: Any) -> date | None:
    """05.06.2026, 2026-06-05 or a spreadsheet date; None if blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _date_text(str(value).strip())


@functools.lru_cache(maxsize=8192)
def _date_text(text: str) -> date | None:
    """Files repeat the same dates on many rows: parse each once."""
    if not text:
        return None
    if m := _NB_DATE.match(text):
        return _make_date(int(m[3]), int(m[2]), int(m[1]))
    if m := _ISO_DATE.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    raise CellError(_l("Skriv datoen som dd.mm.åååå (05.06.2026) eller åååå-mm-dd."))


def parse_month(value: Any) -> date | None:
    """06.2026, 2026-06 or a spreadsheet date (its month); the first day of the month."""
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return date(value.year, value.month, 1)
    text = str(value).strip()
    if not text:
        return None
    if m := _ISO_MONTH.match(text):
        return _make_date(int(m[1]), int(m[2]), 1)
    if m := _NB_MONTH.match(text):
        return _make_date(int(m[2]), int(m[1]), 1)
    try:
        day = parse_date(text)
    except CellError:
        raise CellError(_l("Skriv måneden som mm.åååå (06.2026) eller åååå-mm.")) from None
    assert day is not None
    return date(day.year, day.month, 1)


def parse_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text not in _BOOLS:
        raise CellError(_l("Skriv ja eller nei."))
    return _BOOLS[text]


def text_cell(value: Any) -> str | None:
    """Text as written, without the `'` an export puts before text like "=..." (cells.py)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = from_csv(str(value).strip())
    return text or None


def holds_national_id(value: Any) -> bool:
    """A text or number cell holding a national ID number (a number cell may have lost the
    leading zero, so 10 digits count too; a decimal comma may split the 11)."""
    if isinstance(value, str):
        return len(value) >= 11 and contains_national_id(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float):
        return contains_national_id(repr(value))
    return 10**9 <= value < 10**11 and is_national_id(f"{value:011d}")


def _choice(value: Any, choices: dict[str, str], what: Any, shown: str) -> str | None:
    text = text_cell(value)
    if text is None:
        return None
    found = choices.get(text.lower())
    if found is None:
        raise CellError(_l("Ukjent %(what)s: bruk en av %(choices)s.", what=what, choices=shown))
    return found


# --- reading files ------------------------------------------------------------------------


def sniff_kind(filename: str, head: bytes) -> str:
    """'xlsx' or 'csv', from the content first (a zip is a workbook), then the name."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ValidationError(
            _l("Filen heter .xlsx, men er ikke en Excel-arbeidsbok."),
            {"file": [_l("Ikke xlsx.")]},
        )
    return "csv"


def iter_csv(stream: IO[bytes], limits: Limits | None = None) -> Iterator[list[Any]]:
    """Rows of a UTF-8 CSV (with or without BOM), delimited by ';', ',' or tab, within limits."""
    limits = limits or Limits()
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        lines = bounded_lines(text, limits)
        first = next(lines, "")
        delimiter = max((";", ",", "\t"), key=first.count)
        rows = csv.reader(itertools.chain([first] if first else [], lines), delimiter=delimiter)
        yield from bounded_rows(rows, limits)
    except UnicodeDecodeError:
        raise ValidationError(
            _l("CSV-filen er ikke UTF-8. Lagre den som «CSV UTF-8» fra Excel."),
            {"file": [_l("Ikke UTF-8.")]},
        ) from None
    except csv.Error as exc:
        raise ValidationError(
            _l("CSV-filen kan ikke leses: %(reason)s.", reason=exc),
            {"file": [_l("Kan ikke leses.")]},
        ) from None
    finally:
        with contextlib.suppress(ValueError):  # already detached or closed
            text.detach()


def iter_xlsx(stream: IO[bytes], limits: Limits | None = None) -> Iterator[list[Any]]:
    """Rows of the first sheet, read-only (streamed), values only, within limits.

    The zip and the sheet's extent are checked first (import_limits), and rows are read only
    as far as the cells really go: openpyxl would otherwise pad rows out to the sheet's
    claimed dimension.
    """
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    limits = limits or Limits()
    check_workbook(stream, limits)
    try:
        with zipfile.ZipFile(stream) as archive, archive.open(first_sheet_part(archive)) as part:
            rows, columns = sheet_extent(part, limits)
    except DefusedXmlException:
        refuse_entities()
    except (KeyError, SyntaxError):  # a missing part; a sheet that is not well-formed XML
        raise ValidationError(
            _l("Excel-filen kan ikke leses: arket er ikke gyldig XML."),
            {"file": [_l("Ugyldig XML.")]},
        ) from None
    stream.seek(0)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        if isinstance(exc, DefusedXmlException) or isinstance(exc.__cause__, DefusedXmlException):
            refuse_entities()  # openpyxl wraps what its parser raised
        raise ValidationError(
            _l("Excel-filen kan ikke leses."), {"file": [_l("Kan ikke leses.")]}
        ) from None
    try:
        sheet = book.worksheets[0]
        check_dimension(sheet.max_row, sheet.max_column, limits)
        if not rows:
            return
        cells = sheet.iter_rows(max_row=rows, max_col=max(columns, 1), values_only=True)
        for row in cells:
            yield list(row)
    except DefusedXmlException:
        refuse_entities()
    except SyntaxError:  # xml.etree's ParseError: a sheet that is not well-formed XML
        raise ValidationError(
            _l("Excel-filen kan ikke leses: arket er ikke gyldig XML."),
            {"file": [_l("Ugyldig XML.")]},
        ) from None
    finally:
        book.close()


# --- validating rows ----------------------------------------------------------------------


@dataclass(frozen=True)
class SiteInfo:
    id: int
    code: str
    active: bool
    allowed: bool


@dataclass(frozen=True)
class ItemInfo:
    id: int
    code: str
    category: str
    active: bool


@dataclass
class RowError:
    """One problem: spreadsheet row, column heading as written, cell reference and why."""

    row: int
    column: str
    cell: str
    message: Any  # a lazy bokmål msgid, rendered in the reader's language

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "cell": self.cell, "message": self.message}


class RowValidator:
    """Turns raw cells into a staged record, or row errors, using lookups given once."""

    def __init__(
        self,
        columns: dict[str, tuple[int, str]],
        sites: dict[str, SiteInfo],
        items: dict[str, ItemInfo],
        lots: dict[tuple[int, str], int],
        latest: date,
    ) -> None:
        self.columns = columns
        self.sites = sites
        self.items = items
        self.lots = lots
        self.latest = latest
        self.latest_month = date(latest.year, latest.month, 1)
        self._pairs = [(name, index) for name, (index, _) in columns.items()]
        self._naloxone_columns = [
            c for c in ("recipient_group", "first_time", "refill_reason", "training_given")
            if c in columns
        ]  # fmt: skip

    def _error(self, row: int, name: str, message: Any) -> RowError:
        index, heading = self.columns.get(name, (-1, HEADINGS["nb"].get(name, name)))
        cell = f"{get_column_letter(index + 1)}{row}" if index >= 0 else _l("rad %(row)s", row=row)
        return RowError(row, redact_national_ids(heading), cell, redact_national_ids(message))

    def _known_lot(self, name: str, item: ItemInfo | None, raw: Any) -> bool:
        """A lot that exists is a lot number, confirmed at its receipt: not a national ID."""
        return name == "lot" and item is not None and (item.id, text_cell(raw)) in self.lots

    def _values(self, cells: list[Any]) -> dict[str, Any]:
        """The row's cells by column name; blank text is None."""
        size = len(cells)
        values = {}
        for name, index in self._pairs:
            value = cells[index] if index < size else None
            if isinstance(value, str):
                value = value.strip() or None
            values[name] = value
        return values

    def validate(self, row: int, cells: list[Any]) -> tuple[dict[str, Any] | None, list[RowError]]:
        """One data row: (record, []) or (None, its errors); a blank row gives (None, [])."""
        values = self._values(cells)
        if all(value is None for value in values.values()):
            return None, []
        errors: list[RowError] = []
        failed: set[str] = set()

        def parse(name: str, parser: Any, *args: Any) -> Any:
            value = values.get(name)
            if value is None:
                return None
            try:
                return parser(value, *args)
            except CellError as exc:
                errors.append(self._error(row, name, exc.args[0]))
                failed.add(name)
                return None

        site = self._site(row, text_cell(values.get("site")), errors)
        day = parse("date", parse_date)
        month = parse("month", parse_month)
        self._check_period(row, day, month, failed, errors)
        item_code = text_cell(values.get("item"))
        item = self.items.get(item_code or "")
        quantity = parse("quantity", parse_count, MAX_QUANTITY)
        contacts = parse("contacts", parse_count, MAX_CONTACTS)
        if item_code is None:
            if quantity or not contacts:
                errors.append(
                    self._error(
                        row,
                        "item",
                        _l("Varekoden mangler (bare en rad med bare kontakter kan være uten)."),
                    )
                )
        elif item is None:
            errors.append(
                self._error(row, "item", _l("Ukjent vare: %(code)s.", code=item_code[:32]))
            )
        elif not item.active:
            errors.append(
                self._error(
                    row, "item", _l("Varen %(item)s er ikke lenger i bruk.", item=item.code)
                )
            )
        if item_code is not None and quantity is None and "quantity" not in failed:
            errors.append(self._error(row, "quantity", _l("Antallet mangler.")))

        note = text_cell(values.get("note"))
        if note is not None and len(note) > MAX_NOTE:
            errors.append(self._error(row, "note", _l("Lengre enn %(max)s tegn.", max=MAX_NOTE)))
        for name, raw in values.items():  # every cell, number cells too
            if holds_national_id(raw) and not self._known_lot(name, item, raw):
                errors.append(
                    self._error(
                        row,
                        name,
                        _l(
                            "Inneholder noe som ser ut som et fødselsnummer; mottakerne er anonyme."
                        ),
                    )
                )

        record: dict[str, Any] = {
            "row": row,
            "site_id": site.id if site else None,
            "item_id": item.id if item else None,
            "lot_id": None,
            "day": day or month,
            "granularity": "month" if month is not None else "day",
            "quantity": quantity or 0,
            "contacts": contacts or 0,
            "note": note,
            "naloxone": False,
            "recipient_group": None,
            "first_time": None,
            "refill_reason": None,
            "training_given": None,
        }
        lot_number = text_cell(values.get("lot"))
        if item is not None and lot_number is not None:
            record["lot_id"] = self.lots.get((item.id, lot_number))
            if record["lot_id"] is None:
                errors.append(
                    self._error(
                        row,
                        "lot",
                        _l(
                            "Det finnes ikke noe parti %(lot)s av %(item)s.",
                            lot=lot_number[:64],
                            item=item.code,
                        ),
                    )
                )
        if item is not None and item.category == "naloxone":
            self._naloxone(row, values, record, errors)
        else:
            for name in self._naloxone_columns:
                if values[name] is not None:
                    errors.append(self._error(row, name, _l("Bare for nalokson.")))
        if errors:
            return None, errors
        return record, []

    def _site(self, row: int, code: str | None, errors: list[RowError]) -> SiteInfo | None:
        site = self.sites.get(code or "")
        if code is None:
            errors.append(self._error(row, "site", _l("Stedkoden mangler.")))
        elif site is None:
            errors.append(self._error(row, "site", _l("Ukjent sted: %(code)s.", code=code[:32])))
        elif not site.allowed:
            errors.append(
                self._error(
                    row, "site", _l("Du kan ikke importere for stedet %(site)s.", site=site.code)
                )
            )
        elif not site.active:
            errors.append(
                self._error(row, "site", _l("Stedet %(site)s er deaktivert.", site=site.code))
            )
        return site

    def _check_period(
        self,
        row: int,
        day: date | None,
        month: date | None,
        failed: set[str],
        errors: list[RowError],
    ) -> None:
        if day is not None and month is not None:
            errors.append(
                self._error(row, "month", _l("Oppgi enten en dato eller en måned, ikke begge."))
            )
        elif day is None and month is None and not failed & {"date", "month"}:
            errors.append(self._error(row, "date", _l("Datoen (eller måneden) mangler.")))
        elif day is not None and not EARLIEST <= day <= self.latest:
            errors.append(
                self._error(
                    row,
                    "date",
                    _l(
                        "Datoen er utenfor tillatt område: fra %(first)s til %(last)s.",
                        first=EARLIEST.strftime("%d.%m.%Y"),
                        last=self.latest.strftime("%d.%m.%Y"),
                    ),
                )
            )
        elif month is not None and not EARLIEST <= month <= self.latest_month:
            errors.append(
                self._error(
                    row,
                    "month",
                    _l(
                        "Måneden er utenfor tillatt område: fra 01.2000 til %(last)s.",
                        last=self.latest.strftime("%m.%Y"),
                    ),
                )
            )

    def _heading(self, name: str) -> str:
        return self.columns.get(name, (-1, name))[1]

    def _naloxone(
        self, row: int, values: dict[str, Any], record: dict[str, Any], errors: list[RowError]
    ) -> None:
        record["naloxone"] = True
        if not record["quantity"] and not any(
            e.column == self._heading("quantity") for e in errors
        ):
            errors.append(self._error(row, "quantity", _l("Antall naloksonsett må være minst 1.")))
        try:
            group = _choice(
                values.get("recipient_group"),
                RECIPIENT_GROUPS,
                _l("mottakergruppe"),
                "bruker, pårørende, ansatt, annet",
            )
            if group is None:
                errors.append(self._error(row, "recipient_group", _l("Må fylles ut for nalokson.")))
            record["recipient_group"] = group
        except CellError as exc:
            errors.append(self._error(row, "recipient_group", exc.args[0]))
        try:
            first = parse_bool(values.get("first_time"))
            if first is None:
                errors.append(
                    self._error(row, "first_time", _l("Må fylles ut for nalokson: ja eller nei."))
                )
            record["first_time"] = first
        except CellError as exc:
            errors.append(self._error(row, "first_time", exc.args[0]))
        try:
            record["training_given"] = bool(parse_bool(values.get("training_given")))
        except CellError as exc:
            errors.append(self._error(row, "training_given", exc.args[0]))
        reasons = {r: r for r in REFILL_REASONS} | REFILL_NB
        try:
            reason = _choice(
                values.get("refill_reason"), reasons, _l("påfyllsgrunn"), ", ".join(REFILL_NB)
            )
        except CellError as exc:
            errors.append(self._error(row, "refill_reason", exc.args[0]))
            return
        if record["first_time"] is True and reason is not None:
            errors.append(
                self._error(
                    row, "refill_reason", _l("En førstegangsutdeling har ingen påfyllsgrunn.")
                )
            )
        if record["first_time"] is False and reason is None:
            errors.append(
                self._error(
                    row,
                    "refill_reason",
                    _l("Et påfyll må ha en grunn (ukjent om den ikke er kjent)."),
                )
            )
        record["refill_reason"] = reason


def month_end(first: date) -> date:
    """The last day of the month that starts on `first`."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
