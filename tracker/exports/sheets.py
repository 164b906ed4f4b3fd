"""One function per sheet of the summary workbook; each lays out figures it is given."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter

from tracker.exports.figures import SummaryData
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TOTAL,
    TRAINING_KEYS,
    naloxone_table,
    training_table,
)
from tracker.exports.sheet import DATE_FORMATS, DECIMAL, INTEGER, RATIO, Column, Table, styled
from tracker.exports.suppression import HIDDEN, marker
from tracker.models.distribution import RECIPIENT_GROUPS as GROUPS
from tracker.models.distribution import REFILL_REASONS as REASONS
from tracker.models.training import AUDIENCES, TRAINING_TYPES

SITE_COLUMNS = ("municipality_number", "site")


def _site_columns(t: dict[str, str]) -> list[Column]:
    return [Column(t["municipality_number"], 12), Column(t["site"], 14)]


def _site_cells(site: Any) -> list[Any]:
    return [site.municipality_number, site.code]


def _total_cells(t: dict[str, str]) -> list[Any]:
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
    ]
    table = Table(book, t["sheet.summary"], columns)
    for site in data.sites:
        totals = report.site_totals(site.id)  # None (blank): nothing reported
        people = report.site_contacts(site.id)
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
            ]
        )
    grand = report.totals()
    unmet = sum(data.unmet.values()) if data.unmet else None
    table.append(
        [None, None, t["total"], None, None, *grand.values(), report.total_contacts(), None, unmet]
    )
    table.close()


def completeness_text(t: dict[str, str], done: Any) -> str:
    """ "18 av 21 åpningsdager", or months for month-based figures (imported history)."""
    if done is None:
        return ""
    if done.days_with_entry == 0 and done.months_reported:
        return t["completeness_months"].format(reported=done.months_reported, months=done.months)
    return t["completeness_text"].format(reported=done.days_reported, opening=done.opening_days)


def distribution_sheet(book: Workbook, data: SummaryData) -> None:
    """Site x item rows, one column per period bucket (zeros included) and the row total;
    the monthly trend table and its line chart beside them."""
    t, report = data.t, data.distribution
    columns = [
        *_site_columns(t),
        Column(t["item"], 12),
        Column(t["item_name"], 28),
        Column(t["category"], 14),
        *[Column(b.label, 11, INTEGER) for b in report.buckets],
        Column(t["total"], 12, INTEGER),
    ]
    trend = data.monthly.bucket_totals()
    categories = data.monthly.categories
    gap = len(columns) + 2  # first column of the trend table (1-based), after one empty column
    side_widths = [10] + [14] * len(categories)
    table = Table(book, t["sheet.distribution"], columns, side_widths)
    sheet = table.sheet
    pending = [[styled(sheet, t["month"]), *[styled(sheet, t[f"cat.{c}"]) for c in categories]]]
    pending += [
        [styled(sheet, row["bucket"]), *[styled(sheet, row[c], INTEGER) for c in categories]]
        for row in trend
    ]
    # The header row already went out; its trend headings are written with the first data row
    # onwards, so the trend table starts on row 2 and its chart reads it from there.
    name_key = "name_en" if data.lang == "en" else "name_nb"
    shown = _items_with_data(data, report)
    labels = [b.label for b in report.buckets]
    for site in data.sites:
        for item in shown:
            quantities = [report.item_value(site.id, item, label) for label in labels]
            table.append(
                [
                    *_site_cells(site),
                    item.code,
                    getattr(item, name_key),
                    t[f"cat.{item.category}"],
                    *quantities,
                    _total(quantities),
                ],
                extra=pending.pop(0) if pending else (),
            )
    table.end_filter()
    while pending:
        table.append([None] * len(columns), extra=pending.pop(0))
    chart = LineChart()
    chart.title = t["trend_title"]
    chart.height, chart.width = 8, 18
    rows = len(trend)
    chart.add_data(
        Reference(
            sheet, min_col=gap + 1, max_col=gap + len(categories), min_row=2, max_row=rows + 2
        ),
        titles_from_data=True,
    )
    chart.set_categories(Reference(sheet, min_col=gap, min_row=3, max_row=rows + 2))
    sheet.add_chart(chart, f"{_letter(gap)}{rows + 4}")
    table.close()


def _letter(index: int) -> str:
    return get_column_letter(index)


def _items_with_data(data: SummaryData, report: Any) -> list[Any]:
    """Active items, and inactive ones that still have distribution in the period."""
    used = {item_id for (_, item_id, _) in report.per_item}
    return [i for i in data.items if i.active or i.id in used]


def naloxone_sheet(book: Workbook, data: SummaryData) -> None:
    """Kits by recipient group, first vs refill, refill reasons; reported reversals."""
    t = data.t
    columns = [
        *_site_columns(t),
        Column(t["kits"], 12, INTEGER),
        *[Column(t[f"group.{g}"], 14, INTEGER) for g in GROUPS],
        Column(t["first_time"], 12, INTEGER),
        Column(t["refill"], 10, INTEGER),
        *[Column(t[f"reason.{r}"], 18, INTEGER) for r in REASONS],
        Column(t["training_given"], 18, INTEGER),
    ]
    table = Table(book, t["sheet.naloxone"], columns)
    site_ids = [site.id for site in data.sites]
    shown = naloxone_table(data.naloxone, site_ids, data.external, data.threshold)
    for site in data.sites:
        table.append([*_site_cells(site), *[shown[site.id][k] for k in NALOXONE_KEYS]])
    table.append([*_total_cells(t), *[shown[TOTAL][k] for k in NALOXONE_KEYS]])
    _legend(table, data)
    table.close()


def _legend(table: Table, data: SummaryData) -> None:
    """Below an external table: what `<5` and `:` stand for."""
    if not data.external:
        return
    table.end_filter()
    table.blank()
    t, sheet = data.t, table.sheet
    for symbol, key in ((marker(data.threshold), "legend.marker"), (HIDDEN, "legend.hidden")):
        text = t[key].format(t=data.threshold, t_1=data.threshold - 1)
        sheet.append([styled(sheet, symbol), styled(sheet, text)])
        table.rows += 1


def switch_sheet(book: Workbook, data: SummaryData) -> None:
    """Smoking foil against syringes and needles per site and month, with the ratio."""
    t, report = data.t, data.monthly
    columns = [
        *_site_columns(t),
        Column(t["month"], 10),
        Column(t["foil"], 14, INTEGER),
        Column(t["syringes_needles"], 16, INTEGER),
        Column(t["ratio"], 16, RATIO),
    ]
    table = Table(book, t["sheet.switch"], columns)
    foils: list[int | None] = []
    injectings: list[int | None] = []
    for site in data.sites:
        for bucket in report.buckets:
            foil = report.cell(site.id, "foil", bucket.label)
            injecting = _total(
                [report.cell(site.id, c, bucket.label) for c in ("syringe", "needle")]
            )
            foils.append(foil)
            injectings.append(injecting)
            table.append(
                [*_site_cells(site), bucket.label, foil, injecting, _ratio(foil, injecting)]
            )
    total_foil, total_injecting = _total(foils), _total(injectings)
    table.append(
        [*_total_cells(t), None, total_foil, total_injecting, _ratio(total_foil, total_injecting)]
    )
    table.close()


def _total(values: list[int | None]) -> int | None:
    """The sum of what was reported; blank when nothing was."""
    reported = [v for v in values if v is not None]
    return sum(reported) if reported else None


def _ratio(foil: int | None, injecting: int | None) -> float | None:
    if foil is None or not injecting:
        return None
    return round(foil / injecting, 4)


def training_sheet(book: Workbook, data: SummaryData) -> None:
    """Sessions and participants by type and audience; then staff CPR status per site."""
    t = data.t
    columns = [
        *_site_columns(t),
        Column(t["training_type"], 24),
        Column(t["sessions"], 10, INTEGER),
        *[Column(t[f"group.{g}"], 14, INTEGER) for g in AUDIENCES],
        Column(t["participants"], 14, INTEGER),
    ]
    table = Table(book, t["sheet.training"], columns)
    site_ids = [site.id for site in data.sites]
    shown = training_table(data.training, site_ids, TRAINING_TYPES, data.external, data.threshold)
    sessions = {kind: 0 for kind in TRAINING_TYPES}
    for site in data.sites:
        for kind in TRAINING_TYPES:
            count = data.training.get((site.id, kind), {}).get("sessions", 0)
            sessions[kind] += count
            cells = [shown[(site.id, kind)][k] for k in TRAINING_KEYS]
            table.append([*_site_cells(site), t[f"type.{kind}"], count, *cells])
    for kind in TRAINING_TYPES:
        cells = [shown[(TOTAL, kind)][k] for k in TRAINING_KEYS]
        table.append([*_total_cells(t), t[f"type.{kind}"], sessions[kind], *cells])
    table.end_filter()
    _legend(table, data)
    table.blank()
    table.heading_row([t["cert_heading"]])
    table.heading_row(
        [
            t["municipality_number"],
            t["site"],
            t["staff_count"],
            t["cpr_valid"],
            t["cpr_expiring"],
            t["cpr_expired"],
            t["cpr_missing"],
        ]
    )
    sheet = table.sheet
    for site in data.sites:
        status = data.cpr.get(site.id)
        counts = [
            getattr(status, name, 0) if status else 0
            for name in ("staff", "valid", "expiring", "expired", "missing")
        ]
        sheet.append(
            [
                *[styled(sheet, v) for v in _site_cells(site)],
                *[styled(sheet, v, INTEGER) for v in counts],
            ]
        )
    table.close()


def stock_sheet(book: Workbook, data: SummaryData) -> None:
    """On hand, days left at recent use, lots expiring within 90 days, open discrepancies."""
    t = data.t
    columns = [
        *_site_columns(t),
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
    table = Table(book, t["sheet.stock"], columns)
    sites = {s.id: s for s in data.sites}
    items = {i.id: i for i in data.items}
    name_key = "name_en" if data.lang == "en" else "name_nb"
    for row in data.stock:
        item = items[row.item_id]
        below = row.reorder_level > 0 and row.on_hand <= row.reorder_level
        table.append(
            [
                *_site_cells(sites[row.site_id]),
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


def about_sheet(book: Workbook, data: SummaryData) -> None:
    """Period, filters, when and by whom, app version and the suppression rule."""
    t = data.t
    date_format = DATE_FORMATS.get(data.lang, DATE_FORMATS["nb"])
    table = Table(book, t["sheet.about"], [Column(t["field"], 30), Column(t["value"], 90)])
    sheet = table.sheet
    rule = (
        t["about.suppression_on"].format(t=data.threshold, t_1=data.threshold - 1)
        if data.external
        else t["about.suppression_off"]
    )
    rows: list[tuple[str, Any, str | None]] = [
        (t["about.title"], None, None),
        (t["from"], data.start, date_format),
        (t["to"], data.end, date_format),
        (t["about.buckets"], t.get(f"bucket.{data.distribution.by}", data.distribution.by), None),
        (t["about.municipality"], data.municipality or "", None),
        (t["about.sites"], ", ".join(data.site_codes) or t["about.all"], None),
        (t["about.generated_at"], data.generated_at, f"{date_format} hh:mm"),
        (t["about.generated_by"], data.generated_by, None),
        (t["about.version"], data.app_version, None),
        (t["about.external"], t["yes"] if data.external else t["no"], None),
        (t["about.suppression"], rule, None),
        (t["about.stock_note"], t["about.stock_note_text"], None),
        (t["about.source"], t["about.source_text"], None),
    ]
    for label, value, number_format in rows:
        sheet.append([styled(sheet, label), styled(sheet, value, number_format)])
    table.rows += len(rows)
    table.close()
