"""The "Om rapporten" sheet: the filter actually used, who made it when, and the rules."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from tracker.exports import intro
from tracker.exports.figures import SummaryData
from tracker.exports.sheet import DATE_FORMATS, LEFT, Column, Table, styled


def about_sheet(book: Workbook, data: SummaryData) -> None:
    """Period, filters, when and by whom, app version, and the rules behind the figures."""
    t = data.t
    date_format = DATE_FORMATS.get(data.lang, DATE_FORMATS["nb"])
    table = Table(
        book,
        t["sheet.about"],
        [Column(t["field"], 30), Column(t["value"], 100)],
        intro=intro.lines(data, "about"),
    )
    sheet = table.sheet
    rule = (
        t["about.suppression_on"].format(t=data.threshold, t_1=data.threshold - 1)
        if data.external
        else t["about.suppression_off"]
    )
    previous = data.previous
    compare = (
        intro.day(previous.start) + "–" + intro.day(previous.end)
        if previous is not None
        else t["about.compare_off"]
    )
    rows: list[tuple[str, Any, str | None]] = [
        (t["about.title"], None, None),
        (t["from"], data.start, date_format),
        (t["to"], data.end, date_format),
        (t["about.buckets"], t.get(f"bucket.{data.distribution.by}", data.distribution.by), None),
        (t["about.filter"], intro.filter_text(data), None),
        (t["about.municipality"], intro.place(data) or t["about.none"], None),
        (t["about.sites"], intro.codes(data, limit=None), None),  # every one
        (t["about.compare"], compare, None),
        (t["about.generated_at"], data.generated_at, f"{date_format} hh:mm"),
        (t["about.generated_by"], data.generated_by or t["about.operator"], None),
        (t["about.version"], data.app_version, None),
        (t["about.external"], t["yes"] if data.external else t["no"], None),
        (t["about.suppression"], rule, None),
        (t["about.blank"], t["about.blank_text"], None),
        (t["about.stock_note"], t["about.stock_note_text"], None),
        (t["about.source"], t["about.source_text"], None),
    ]
    for label, value, number_format in rows:
        shown = styled(sheet, value, number_format)
        shown.alignment = LEFT  # dates too, under the texts rather than at the far edge
        sheet.append([styled(sheet, label), shown])
    table.rows += len(rows)
    table.close()
