"""The person-level sheets (naloxone, training): protected for external use (person_tables)."""

from __future__ import annotations

from openpyxl import Workbook

from tracker.exports import intro
from tracker.exports.figures import SummaryData
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TOTAL,
    TRAINING_KEYS,
    naloxone_table,
    training_table,
)
from tracker.exports.sheet import INTEGER, Column, Table, styled
from tracker.exports.sheets import site_cells, site_columns, total_cells
from tracker.exports.suppression import HIDDEN, marker
from tracker.models.distribution import RECIPIENT_GROUPS as GROUPS
from tracker.models.distribution import REFILL_REASONS as REASONS
from tracker.models.training import AUDIENCES, TRAINING_TYPES


def naloxone_sheet(book: Workbook, data: SummaryData) -> None:
    """Kits by recipient group, first vs refill, refill reasons; reported reversals."""
    t = data.t
    columns = [
        *site_columns(t),
        Column(t["kits"], 12, INTEGER),
        *[Column(t[f"group.{g}"], 14, INTEGER) for g in GROUPS],
        Column(t["first_time"], 12, INTEGER),
        Column(t["refill"], 10, INTEGER),
        *[Column(t[f"reason.{r}"], 18, INTEGER) for r in REASONS],
        Column(t["training_given"], 18, INTEGER),
    ]
    table = Table(book, t["sheet.naloxone"], columns, intro=intro.lines(data, "naloxone"))
    site_ids = [site.id for site in data.sites]
    shown = naloxone_table(data.naloxone, site_ids, data.external, data.threshold)
    for site in data.sites:
        table.append([*site_cells(site), *[shown[site.id][k] for k in NALOXONE_KEYS]])
    table.end_filter()
    table.blank()
    table.append([*total_cells(t), *[shown[TOTAL][k] for k in NALOXONE_KEYS]])
    _legend(table, data)
    table.close()


def _legend(table: Table, data: SummaryData) -> None:
    """Below an external table: what `<5` and `:` stand for."""
    if not data.external:
        return
    table.blank()
    t = data.t
    for symbol, key in ((marker(data.threshold), "legend.marker"), (HIDDEN, "legend.hidden")):
        table.note(symbol, t[key].format(t=data.threshold, t_1=data.threshold - 1))


def training_sheet(book: Workbook, data: SummaryData) -> None:
    """Sessions and participants by type and audience; then per site the months with a CPR
    course for users and the staff's CPR status."""
    t = data.t
    columns = [
        *site_columns(t),
        Column(t["training_type"], 24),
        Column(t["sessions"], 10, INTEGER),
        *[Column(t[f"group.{g}"], 14, INTEGER) for g in AUDIENCES],
        Column(t["participants"], 14, INTEGER),
    ]
    table = Table(book, t["sheet.training"], columns, intro=intro.lines(data, "training"))
    site_ids = [site.id for site in data.sites]
    shown = training_table(data.training, site_ids, TRAINING_TYPES, data.external, data.threshold)
    sessions = dict.fromkeys(TRAINING_TYPES, 0)
    for site in data.sites:
        for kind in TRAINING_TYPES:
            count = data.training.get((site.id, kind), {}).get("sessions", 0)
            sessions[kind] += count
            cells = [shown[(site.id, kind)][k] for k in TRAINING_KEYS]
            table.append([*site_cells(site), t[f"type.{kind}"], count, *cells])
    table.end_filter()
    table.blank()
    for kind in TRAINING_TYPES:
        cells = [shown[(TOTAL, kind)][k] for k in TRAINING_KEYS]
        table.append([*total_cells(t), t[f"type.{kind}"], sessions[kind], *cells])
    _legend(table, data)
    table.blank()
    table.section(t["cert_heading"])
    table.heading_row(
        [
            t["municipality_number"],
            t["site"],
            t["staff_count"],
            t["cpr_valid"],
            t["cpr_expiring"],
            t["cpr_expired"],
            t["cpr_missing"],
            t["cpr_months"],
            t["months_in_period"],
        ],
        numeric=[False, False, *[True] * 7],
    )
    sheet = table.sheet
    for site in data.sites:
        status = data.cpr.get(site.id)
        counts = [
            getattr(status, name, 0) if status else 0
            for name in ("staff", "valid", "expiring", "expired", "missing")
        ]
        figures = [*counts, data.cpr_months.get(site.id, 0), data.months]
        sheet.append(
            [
                *[styled(sheet, v) for v in site_cells(site)],
                *[styled(sheet, v, INTEGER) for v in figures],
            ]
        )
        table.rows += 1
    table.close()
