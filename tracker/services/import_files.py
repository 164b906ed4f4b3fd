"""Files in the import format: the template (CSV, xlsx) and the export of distribution.

The export writes exactly what an import reads, so a period exported and imported into an
empty database gives the same daily figures (the round trip the tests hold).
"""

from __future__ import annotations

import csv
import heapq
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from tracker.errors import ValidationError
from tracker.exports.cells import cell, cells, csv_row
from tracker.extensions import db
from tracker.models import Item, Lot, Municipality, NaloxoneHandout, Site, TallyEntry, TallyLine
from tracker.services.access import Actor, can, require_role
from tracker.services.import_format import COLUMNS, DELIMITER, HEADINGS

EXAMPLES = [
    {"site": "OSL-MO", "date": date(2025, 6, 5), "item": "SPR-2", "quantity": 1234, "contacts": 57},
    {"site": "OSL-MO", "date": date(2025, 6, 5), "item": "FOLIE", "quantity": 300},
    {"site": "OSL-MO", "month": date(2024, 3, 1), "item": "SPR-2", "quantity": 21000},
    {
        "site": "OSL-MO",
        "date": date(2025, 6, 5),
        "item": "NAL-1",
        "quantity": 2,
        "recipient_group": "pwud",
        "first_time": False,
        "refill_reason": "used_on_overdose",
        "training_given": True,
    },
]
EXPLANATION = {
    "site": ("Stedkode (som i registeret)", "Site code, as in the tracker"),
    "date": ("Dato: 05.06.2026 eller 2026-06-05", "Date: 05.06.2026 or 2026-06-05"),
    "month": (
        "Eller måned for månedstall: 06.2026 eller 2026-06",
        "Or the month, for a monthly figure: 06.2026 or 2026-06",
    ),
    "item": ("Varekode", "Item code"),
    "quantity": ("Antall, hele tall (1 234 går fint)", "Quantity, whole number (1 234 is fine)"),
    "contacts": ("Kontakter (valgfritt; summeres per sted og dag)", "Contacts (optional; summed)"),
    "note": ("Merknad (valgfri; aldri fødselsnummer)", "Note (optional; never an ID number)"),
    "lot": ("Parti/lot (valgfritt)", "Lot number (optional)"),
    "recipient_group": (
        "Nalokson: bruker, pårørende, ansatt, annet",
        "Naloxone: pwud, relative, staff, other",
    ),
    "first_time": ("Nalokson: førstegang ja/nei", "Naloxone: first time yes/no"),
    "refill_reason": (
        "Nalokson, påfyll: brukt ved overdose, mistet, stjålet, beslaglagt, utløpt, annet, ukjent",
        "Naloxone refill: used_on_overdose, lost, stolen, confiscated, expired, other, unknown",
    ),
    "training_given": ("Nalokson: opplæring gitt ja/nei", "Naloxone: training given yes/no"),
}


def _check_lang(lang: str) -> str:
    if lang not in HEADINGS:
        raise ValidationError(
            _l("Ukjent språk: bruk nb eller en."), {"lang": [_l("Bruk nb eller en.")]}
        )
    return lang


def _cell(name: str, value: Any, lang: str) -> Any:
    """A value as the import reads it back: Norwegian dates and yes/no in bokmål."""
    if value is None:
        return ""
    if name == "date":
        return value.strftime("%d.%m.%Y") if lang == "nb" else value.isoformat()
    if name == "month":
        return value.strftime("%m.%Y") if lang == "nb" else value.strftime("%Y-%m")
    if isinstance(value, bool):
        return ("ja" if value else "nei") if lang == "nb" else ("yes" if value else "no")
    return value


def _line(record: dict[str, Any], lang: str) -> list[Any]:
    return [_cell(name, record.get(name), lang) for name in COLUMNS]


def _csv_chunks(records: Iterable[dict[str, Any]], lang: str) -> Iterator[str]:
    """CSV text in chunks: a BOM so Excel reads UTF-8, then the headings and the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER[lang], lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([HEADINGS[lang][c] for c in COLUMNS])
    for count, record in enumerate(records, start=1):
        writer.writerow(csv_row(_line(record, lang)))
        if count % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def template_csv(lang: str = "nb") -> str:
    return "".join(_csv_chunks(EXAMPLES, _check_lang(lang)))


def template_xlsx(lang: str = "nb") -> bytes:
    """The template workbook: the data sheet first (the import reads it), then an explanation."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = _check_lang(lang)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Utdeling" if lang == "nb" else "Distribution")
    sheet.freeze_panes = "A2"
    for index in range(len(COLUMNS)):
        sheet.column_dimensions[chr(ord("A") + index)].width = 16
    bold = Font(bold=True)
    header = [cell(sheet, HEADINGS[lang][name]) for name in COLUMNS]
    for heading in header:
        heading.font = bold
    sheet.append(header)
    for example in EXAMPLES:
        row = []
        for name in COLUMNS:
            value: Any = example.get(name)
            if name == "month" and value is not None:
                value = _cell(name, value, lang)  # a month as text, never a whole date
            elif isinstance(value, bool):
                value = _cell(name, value, lang)
            number_format = "DD.MM.YYYY" if isinstance(value, date) else "# ##0"
            row.append(cell(sheet, value, number_format))  # no format on text
        sheet.append(row)
    about = book.create_sheet("Forklaring" if lang == "nb" else "About")
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 80
    for name in COLUMNS:
        about.append(cells(about, [HEADINGS[lang][name], EXPLANATION[name][lang != "nb"]]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- export -------------------------------------------------------------------------------


def _export_sites(actor: Actor, site: str | None, municipality: str | None) -> dict[int, str]:
    """The sites to export (id -> code): those the actor coordinates, narrowed by the filters."""
    require_role(actor, "coordinator")
    query = select(Site).join(Municipality)
    if site:
        query = query.where(Site.code == site)
    if municipality:
        query = query.where(Municipality.number == municipality)
    return {s.id: s.code for s in db.session.scalars(query) if can(actor, s, "coordinator")}


def _lines(site_ids: list[int], date_from: date, date_to: date) -> Select[Any]:
    t = TallyEntry
    return (
        select(t.site_id, t.entry_date, t.granularity, Item.code, func.sum(TallyLine.quantity))
        .join(t, TallyLine.tally_id == t.id)
        .join(Item, Item.id == TallyLine.item_id)
        .where(
            t.deleted_at.is_(None),
            t.site_id.in_(site_ids),
            t.entry_date.between(date_from, date_to),
        )
        .group_by(t.site_id, t.entry_date, t.granularity, Item.code)
        .having(func.sum(TallyLine.quantity) > 0)
        .order_by(t.site_id, t.entry_date, t.granularity, Item.code)
    )


def _contacts(site_ids: list[int], date_from: date, date_to: date) -> Select[Any]:
    t = TallyEntry
    return (
        select(t.site_id, t.entry_date, t.granularity, func.sum(t.contacts))
        .where(
            t.deleted_at.is_(None),
            t.site_id.in_(site_ids),
            t.entry_date.between(date_from, date_to),
        )
        .group_by(t.site_id, t.entry_date, t.granularity)
        .having(func.sum(t.contacts) > 0)
        .order_by(t.site_id, t.entry_date, t.granularity)
    )


def _handouts(site_ids: list[int], date_from: date, date_to: date) -> Select[Any]:
    h = NaloxoneHandout
    keys = (
        h.site_id,
        h.handed_out_on,
        h.granularity,
        Item.code,
        Lot.lot_number,
        h.recipient_group,
        h.first_time,
        h.refill_reason,
        h.training_given,
    )
    return (
        select(*keys, func.sum(h.quantity))
        .join(Item, Item.id == h.item_id)
        .outerjoin(Lot, Lot.id == h.lot_id)
        .where(h.site_id.in_(site_ids), h.handed_out_on.between(date_from, date_to))
        .group_by(*keys)
        .order_by(h.site_id, h.handed_out_on, h.granularity, Item.code)
    )


def _tagged(tag: int, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows as (site, day, granularity, tag, row), streamed (server-side on PostgreSQL)."""
    rows = db.session.execute(query.execution_options(stream_results=True, max_row_buffer=2000))
    for row in rows:
        yield (row[0], row[1], row[2], tag, row)


def _period(record: dict[str, Any], day: date, granularity: str) -> None:
    record["month" if granularity == "month" else "date"] = day


def export_records(
    actor: Actor,
    *,
    date_from: date,
    date_to: date,
    site: str | None = None,
    municipality: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Distribution, contacts and naloxone handouts in the import format, sorted, streamed."""
    if date_from > date_to:
        raise ValidationError(
            _l("Fra-datoen er etter til-datoen."), {"from": [_l("Etter til-datoen.")]}
        )
    codes = _export_sites(actor, site, municipality)
    site_ids = list(codes)
    # tag 0 = contacts, 1 = item lines, 2 = naloxone: contacts ride on the next row of their day
    streams = [
        _tagged(tag, query(site_ids, date_from, date_to))
        for tag, query in enumerate((_contacts, _lines, _handouts))
    ]
    pending: tuple[Any, int] | None = None  # ((code, day, granularity), contacts) to write
    for site_id, day, granularity, tag, row in heapq.merge(*streams, key=lambda x: x[:4]):
        code = codes[site_id]
        key = (code, day, granularity)
        if pending is not None and pending[0] != key:
            record = {"site": pending[0][0], "contacts": pending[1]}
            _period(record, pending[0][1], pending[0][2])
            yield record
            pending = None
        if tag == 0:
            pending = (key, int(row[3]))
            continue
        record = {"site": code, "item": row[3]}
        _period(record, day, granularity)
        if pending is not None:
            record["contacts"] = pending[1]
            pending = None
        if tag == 1:
            record["quantity"] = int(row[4])
        else:
            record.update(
                lot=row[4],
                recipient_group=row[5],
                first_time=row[6],
                refill_reason=row[7],
                training_given=row[8],
                quantity=int(row[9]),
            )
        yield record
    if pending is not None:
        record = {"site": pending[0][0], "contacts": pending[1]}
        _period(record, pending[0][1], pending[0][2])
        yield record


def export_csv(actor: Actor, *, lang: str = "nb", **filters: Any) -> Iterator[str]:
    """The export as CSV text chunks (checked before the first chunk is produced)."""
    lang = _check_lang(lang)
    records = export_records(actor, **filters)
    first = next(records, None)  # runs the access and argument checks now, not mid-stream

    def chain() -> Iterator[dict[str, Any]]:
        if first is not None:
            yield first
            yield from records

    return _csv_chunks(chain(), lang)
