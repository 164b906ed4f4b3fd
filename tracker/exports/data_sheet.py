"""The long Data sheet: one row per site x period bucket x item x measure, for pivot tables.

A value that is protected (external use) or not reported is an empty cell and its status says
why (`<5`, `:` or "not reported"), so SUM over the Value column still works. With a comparison
the same cells of the same period a year earlier follow in two more columns.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook

from tracker.exports import intro
from tracker.exports.figures import Previous, SummaryData
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TRAINING_KEYS,
    naloxone_table,
    training_table,
)
from tracker.exports.sheet import DATE_FORMATS, INTEGER, Column, Table, month_format
from tracker.models.training import TRAINING_TYPES

# Excel's limit is 1 048 576 rows a sheet; the people rows and the intro need a few.
MAX_ROWS = 1_000_000

# One row: site, period start, category key, item label, measure label, value, value a year
# earlier (None when no comparison was asked for).
Row = tuple[Any, date, str | None, str | None, str, Any, Any]


def _value_and_status(value: Any, t: Mapping[str, str]) -> tuple[Any, str | None]:
    """A number stays a number; a protection marker becomes an empty value and a status."""
    if value is None:
        return None, t["status.not_reported"]
    if isinstance(value, str):
        return None, value
    return value, None


def reports_for(data: SummaryData) -> tuple[Any, Any]:
    """The report (and the year-earlier one) the sheet lays out: by the chosen bucket, or by
    month when that would pass the most rows a sheet can hold (days over years, many sites)."""
    report = data.distribution
    earlier = data.previous.distribution if data.previous is not None else None
    rows = len(data.sites) * len(report.buckets) * (len(data.items) + 1)
    if rows > MAX_ROWS:
        report = data.monthly
        earlier = data.previous.monthly if data.previous is not None else None
    return report, earlier


def _distribution_rows(data: SummaryData) -> Iterator[Row]:
    """Per site and bucket: each item handed out, and the contacts. The year-earlier bucket is
    the one at the same position (a year earlier has the same months, tertials, quarters)."""
    t = data.t
    report, earlier = reports_for(data)
    name_key = "name_en" if data.lang == "en" else "name_nb"
    used = {item_id for (_, item_id, _) in report.per_item}
    if earlier is not None:
        used |= {item_id for (_, item_id, _) in earlier.per_item}
    shown = [i for i in data.items if i.active or i.id in used]
    for site in data.sites:
        for index, bucket in enumerate(report.buckets):
            then = (
                earlier.buckets[index].label if earlier and index < len(earlier.buckets) else None
            )
            for item in shown:
                yield (
                    site,
                    bucket.start,
                    item.category,
                    f"{item.code} {getattr(item, name_key)}",
                    t["measure.distributed"],
                    report.item_value(site.id, item, bucket.label),
                    earlier.item_value(site.id, item, then) if earlier and then else None,
                )
            yield (
                site,
                bucket.start,
                None,
                None,
                t["measure.contacts"],
                report.contacts_cell(site.id, bucket.label),
                earlier.contacts_cell(site.id, then) if earlier and then else None,
            )


def _tables(data: SummaryData, figures: SummaryData | Previous) -> tuple[Any, Any]:
    site_ids = [s.id for s in data.sites]
    return (
        naloxone_table(figures.naloxone, site_ids, data.external, data.threshold),
        training_table(figures.training, site_ids, TRAINING_TYPES, data.external, data.threshold),
    )


def _people_rows(data: SummaryData) -> Iterator[Row]:
    """Naloxone and training per site for the whole period, protected as on their sheets."""
    t, previous = data.t, data.previous
    kits, people = _tables(data, data)
    kits_then, people_then = _tables(data, previous) if previous is not None else ({}, {})
    keys = {"first": t["first_time"], "refill": t["refill"]}
    for site in data.sites:
        for key in NALOXONE_KEYS:
            label = (
                t[key]  # "kits" and "training_given" (handouts, not kits) name themselves
                if key in ("kits", "training_given")
                else f"{t['measure.kits']}: {keys.get(key) or t[key]}"
            )
            then = kits_then[site.id][key] if previous is not None else None
            yield site, data.start, "naloxone", None, label, kits[site.id][key], then
        for kind in TRAINING_TYPES:
            sessions = data.training.get((site.id, kind), {}).get("sessions", 0)
            before = (
                previous.training.get((site.id, kind), {}).get("sessions", 0) if previous else None
            )
            kind_label = t[f"type.{kind}"]
            yield site, data.start, None, kind_label, t["measure.sessions"], sessions, before
            for key in TRAINING_KEYS:
                measure = (
                    t["participants"]
                    if key == "participants"
                    else f"{t['measure.participants']}: {t[f'group.{key}']}"
                )
                then = people_then[(site.id, kind)][key] if previous is not None else None
                value = people[(site.id, kind)][key]
                yield site, data.start, None, kind_label, measure, value, then


def data_sheet(book: Workbook, data: SummaryData) -> None:
    """Stream the long table; the comparison rows are walked in step (same order, same keys)."""
    t = data.t
    by_month = reports_for(data)[0].by == "month"
    start_format = month_format(data.lang) if by_month else DATE_FORMATS[data.lang]
    columns = [
        Column(t["site"], 14),
        Column(t["municipality"], 18),
        Column(t["data.site_kind"], 22),
        Column(t["data.period_start"], 13, start_format),
        Column(t["data.item_category"], 16),
        Column(t["item"], 28),
        Column(t["data.measure"], 40),
        Column(t["data.value"], 12, INTEGER),
        Column(t["data.status"], 16),
    ]
    previous = data.previous
    if previous is not None:
        columns += [Column(t["data.previous"], 14, INTEGER), Column(t["data.previous_status"], 16)]
    table = Table(book, t["sheet.data"], columns, intro=intro.lines(data, "data"))
    rows = itertools.chain(_distribution_rows(data), _people_rows(data))
    for site, start, category, item, measure, value, then in rows:
        shown, status = _value_and_status(value, t)
        cells: Sequence[Any] = [
            site.code,
            f"{site.municipality_number} {site.municipality_name}",
            t.get(f"kind.{site.kind}", site.kind),
            start,
            t[f"cat.{category}"] if category else None,
            item,
            measure,
            shown,
            status,
        ]
        if previous is not None:
            cells = [*cells, *_value_and_status(then, t)]
        table.append(cells)
    table.close()
