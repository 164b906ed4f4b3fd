"""The item-count sheets of the summary workbook; each lays out figures it is given.

Every sheet opens with its intro block (intro.py), keeps its totals below the autofilter
range, and writes None (not reported) as an empty cell.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter

from tracker.exports import event_sheets, intro
from tracker.exports.event_tables import TOTAL as GROUP_TOTAL
from tracker.exports.figures import SummaryData, ratio, total
from tracker.exports.sheet import (
    DECIMAL,
    INTEGER,
    PERCENT,
    Column,
    Table,
    month_format,
    styled,
)


def site_columns(t: dict[str, str]) -> list[Column]:
    return [Column(t["municipality_number"], 12), Column(t["site"], 14)]


def site_cells(site: Any) -> list[Any]:
    return [site.municipality_number, site.code]


def total_cells(t: dict[str, str]) -> list[Any]:
    return [None, t["total"]]


def summary_sheet(book: Workbook, data: SummaryData) -> None:
    """Per municipality and site: total per item category for the period, and contacts."""
    t, report = data.t, data.distribution
    columns = [
        Column(t["municipality_number"], 12),
        Column(t["municipality"], 16),
        Column(t["site"], 14),
        Column(t["site_name"], 28),
        Column(t["active"], 8),
        *[Column(t[f"cat.{c}"], 14, INTEGER) for c in report.categories],
        Column(t["contacts"], 12, INTEGER),
        Column(t["completeness"], 30),
        Column(t["unmet"], 14, INTEGER),
        *event_sheets.group_columns(data),
    ]
    table = Table(book, t["sheet.summary"], columns, intro=intro.lines(data, "summary"))
    groups = event_sheets.group_cells(data)  # contacts by group, protected if external
    rows = []
    for site in data.sites:
        totals = report.site_totals(site.id)  # None (blank): nothing reported
        people = report.site_contacts(site.id)
        rows.append([*totals.values(), people])
        table.append(
            [
                site.municipality_number,
                site.municipality_name,
                site.code,
                site.name,
                t["yes"] if site.active else t["no"],
                *totals.values(),
                people,
                completeness_text(t, report.completeness.get(site.id)),
                data.unmet.get(site.id),  # blank: nothing recorded
                *groups.get(site.id, []),
            ]
        )
    table.end_filter()
    table.blank()
    sums = [total(column) for column in zip(*rows, strict=True)] if rows else []
    unmet = sum(data.unmet.values()) if data.unmet else None
    if sums:
        table.append(
            [None, None, t["total"], None, None, *sums, None, unmet, *groups.get(GROUP_TOTAL, [])]
        )
    if groups:
        event_sheets.legend(table, data, event_sheets.words(data))
    table.close()


def completeness_text(t: dict[str, str], done: Any) -> str:
    """ "18 av 21 åpningsdager", or months for month-based figures (imported history)."""
    if done is None:
        return ""
    if done.days_with_entry == 0 and done.months_reported:
        return t["completeness_months"].format(reported=done.months_reported, months=done.months)
    return t["completeness_text"].format(reported=done.days_reported, opening=done.opening_days)


def distribution_sheet(book: Workbook, data: SummaryData) -> None:
    """Site x item rows, one column per period bucket and the row total; the monthly trend
    per category beside them, with its line chart."""
    t, report = data.t, data.distribution
    monthly = report.by == "month"
    bucket_heading = month_format(data.lang) if monthly else None
    columns = [
        *site_columns(t),
        Column(t["item"], 12),
        Column(t["item_name"], 28),
        Column(t["category"], 14),
        *[
            Column(b.start if monthly else b.label, 11, INTEGER, bucket_heading)
            for b in report.buckets
        ],
        Column(t["total"], 12, INTEGER),
    ]
    trend = data.monthly.bucket_totals()
    # No all-zero (or never reported) series: the chart shows only categories with figures.
    categories = [c for c in data.monthly.categories if any(row[c] for row in trend)]
    gap = len(columns) + 2  # first column of the trend table (1-based), after one empty column
    side_widths = [11] + [14] * len(categories)
    table = Table(
        book,
        t["sheet.distribution"],
        columns,
        side_widths,
        intro=intro.lines(data, "distribution"),
    )
    sheet = table.sheet
    months = month_format(data.lang)
    pending = [[styled(sheet, t["month"]), *[styled(sheet, t[f"cat.{c}"]) for c in categories]]]
    pending += [
        [styled(sheet, row["from"], months), *[styled(sheet, row[c], INTEGER) for c in categories]]
        for row in trend
    ]
    # The heading row already went out, so the trend table starts on the row below it.
    first_trend_row = table.header_row + 1
    name_key = "name_en" if data.lang == "en" else "name_nb"
    labels = [b.label for b in report.buckets]
    for site in data.sites:
        for item in _items_with_data(data, report):
            quantities = [report.item_value(site.id, item, label) for label in labels]
            table.append(
                [
                    *site_cells(site),
                    item.code,
                    getattr(item, name_key),
                    t["cat.kit"] if item.kit else t[f"cat.{item.category}"],
                    *quantities,
                    total(quantities),
                ],
                extra=pending.pop(0) if pending else (),
            )
    table.end_filter()
    while pending:
        table.append([None] * len(columns), extra=pending.pop(0))
    if categories:
        _trend_chart(sheet, data, gap, first_trend_row, len(trend), len(categories))
    table.close()


def _trend_chart(
    sheet: Any, data: SummaryData, gap: int, first_row: int, months: int, series: int
) -> None:
    """Straight lines, titled and visible axes, and data that stays when rows are filtered."""
    t = data.t
    chart = LineChart()
    chart.title = t["trend_title"]
    chart.height, chart.width = 8, 18
    chart.add_data(
        Reference(
            sheet,
            min_col=gap + 1,
            max_col=gap + series,
            min_row=first_row,
            max_row=first_row + months,
        ),
        titles_from_data=True,
    )
    chart.set_categories(
        Reference(sheet, min_col=gap, min_row=first_row + 1, max_row=first_row + months)
    )
    chart.smooth = False
    for line in chart.series:
        line.smooth = False
    chart.x_axis.title = t["x_axis"]
    chart.y_axis.title = t["y_axis"]
    chart.x_axis.number_format = month_format(data.lang)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    # The trend table sits beside the filtered table: a filter that hides rows must not
    # take the chart's points with it.
    chart.visible_cells_only = False
    chart.display_blanks = "gap"
    sheet.add_chart(chart, f"{get_column_letter(gap)}{first_row + months + 2}")


def _items_with_data(data: SummaryData, report: Any) -> list[Any]:
    """Active items, and inactive ones that still have distribution in the period."""
    used = {item_id for (_, item_id, _) in report.per_item}
    return [i for i in data.items if i.active or i.id in used]


def _switch_figures(report: Any, site_id: int, label: str) -> tuple[Any, Any]:
    """Foil, and syringes + needles (None where not reported)."""
    foil = report.cell(site_id, "foil", label)
    injecting = total(report.cell(site_id, c, label) for c in ("syringe", "needle"))
    return foil, injecting


def switch_sheet(book: Workbook, data: SummaryData) -> None:
    """Smoking foil against syringes and needles per site and month, and per site for the
    whole period, with the share foil / (syringes + needles) as a percentage."""
    t, report = data.t, data.monthly
    columns = [
        *site_columns(t),
        Column(t["month"], 12, month_format(data.lang)),
        Column(t["foil"], 14, INTEGER),
        Column(t["syringes_needles"], 16, INTEGER),
        Column(t["share"], 24, PERCENT),
    ]
    table = Table(book, t["sheet.switch"], columns, intro=intro.lines(data, "switch"))
    whole: dict[int, tuple[list[Any], list[Any]]] = {}
    for site in data.sites:
        foils, injectings = whole.setdefault(site.id, ([], []))
        for bucket in report.buckets:
            foil, injecting = _switch_figures(report, site.id, bucket.label)
            foils.append(foil)
            injectings.append(injecting)
            table.append([*site_cells(site), bucket.start, foil, injecting, ratio(foil, injecting)])
    table.end_filter()
    table.blank()
    all_foil = total(total(f) for f, _ in whole.values())
    all_injecting = total(total(i) for _, i in whole.values())
    table.append([*total_cells(t), None, all_foil, all_injecting, ratio(all_foil, all_injecting)])
    table.blank()
    table.section(t["switch_whole"])
    for site in data.sites:
        foils, injectings = whole[site.id]
        foil, injecting = total(foils), total(injectings)
        table.append([*site_cells(site), None, foil, injecting, ratio(foil, injecting)])
    table.close()


def stock_sheet(book: Workbook, data: SummaryData) -> None:
    """On hand, days left at recent use, lots expiring within 90 days, open discrepancies."""
    t = data.t
    columns = [
        *site_columns(t),
        Column(t["item"], 12),
        Column(t["item_name"], 28),
        Column(t["on_hand"], 11, INTEGER),
        Column(t["usage"], 16, DECIMAL),
        Column(t["days_left"], 11, DECIMAL),
        Column(t["reorder_level"], 14, INTEGER),
        Column(t["below_reorder"], 14),
        Column(t["expiring_90"], 16, INTEGER),
        Column(t["discrepancy"], 16),
    ]
    table = Table(book, t["sheet.stock"], columns, intro=intro.lines(data, "stock"))
    sites = {s.id: s for s in data.sites}
    items = {i.id: i for i in data.items}
    name_key = "name_en" if data.lang == "en" else "name_nb"
    for row in data.stock:
        item = items[row.item_id]
        below = row.reorder_level > 0 and row.on_hand <= row.reorder_level
        table.append(
            [
                *site_cells(sites[row.site_id]),
                item.code,
                getattr(item, name_key),
                row.on_hand,
                row.daily_usage,
                row.days_left,
                row.reorder_level,
                t["yes"] if below else t["no"],
                row.expiring_90,
                t["yes"] if row.discrepancy else t["no"],
            ]
        )
    table.close()
