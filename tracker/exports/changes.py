"""The figures a submission keeps, and the Endringer sheet of a resubmission.

A figure is (site, item or None, measure) -> value for the whole period. The sheet lists
every figure that differs from the previous submission. In a workbook for external use the
person-level measures show what their protected tables show (the same small-number rule
as the Nalokson and Opplæring sheets) and no entry is named.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from openpyxl import Workbook

from tracker.exports import intro
from tracker.exports.figures import ChangeSet, FigureKey, SummaryData
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TRAINING_KEYS,
    naloxone_table,
    training_table,
)
from tracker.exports.sheet import INTEGER, Column, Table, styled
from tracker.models.training import AUDIENCES, TRAINING_TYPES

DISTRIBUTED = "distributed"
CONTACTS = "contacts"
WHEN_FORMATS = {"nb": "%d.%m.%Y %H:%M", "en": "%Y-%m-%d %H:%M"}


def figures(data: SummaryData) -> dict[FigureKey, int]:
    """Every non-zero figure of the workbook's period: distribution per item, contacts,
    naloxone kits by key, training sessions and participants by type and audience."""
    out: dict[FigureKey, int] = defaultdict(int)
    for (site_id, item_id, _bucket), quantity in data.distribution.per_item.items():
        out[(site_id, item_id, DISTRIBUTED)] += quantity
    for site in data.sites:
        out[(site.id, None, CONTACTS)] = data.distribution.site_contacts(site.id) or 0
    for site_id, kits in data.naloxone.items():
        for key in NALOXONE_KEYS:
            out[(site_id, None, f"naloxone.{key}")] = kits.get(key, 0)
    for (site_id, kind), row in data.training.items():
        out[(site_id, None, f"training.{kind}.sessions")] = row.get("sessions", 0)
        for audience in AUDIENCES:
            out[(site_id, None, f"training.{kind}.{audience}")] = row.get(audience, 0)
        out[(site_id, None, f"training.{kind}.participants")] = sum(
            row.get(a, 0) for a in AUDIENCES
        )
    return {key: value for key, value in out.items() if value}


def changed(changes: ChangeSet) -> list[FigureKey]:
    """The keys whose value differs, in a stable order (site, item, measure)."""
    keys = set(changes.before) | set(changes.after)
    differing = [k for k in keys if changes.before.get(k, 0) != changes.after.get(k, 0)]
    return sorted(differing, key=lambda k: (k[0], k[1] or 0, k[2]))


def person_level(measure: str) -> bool:
    """Naloxone kits and training participants describe people; sessions and items do not."""
    return measure.startswith("naloxone.") or (
        measure.startswith("training.") and not measure.endswith(".sessions")
    )


def _protected(values: dict[FigureKey, int], site_ids: list[int], threshold: int) -> Any:
    """What the external Nalokson and Opplæring tables show for these figures."""
    naloxone: dict[int, dict[str, int]] = defaultdict(dict)
    training: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for (site_id, _item, measure), value in values.items():
        kind, _, rest = measure.partition(".")
        if kind == "naloxone":
            naloxone[site_id][rest] = value
        elif kind == "training":
            training_type, _, key = rest.partition(".")
            training[(site_id, training_type)][key] = value
    shown_naloxone = naloxone_table(naloxone, site_ids, True, threshold)
    shown_training = training_table(training, site_ids, TRAINING_TYPES, True, threshold)

    def show(key: FigureKey) -> Any:
        site_id, _item, measure = key
        kind, _, rest = measure.partition(".")
        if kind == "naloxone" and rest in NALOXONE_KEYS:
            return shown_naloxone[site_id][rest]
        training_type, _, audience = rest.partition(".")
        if audience in TRAINING_KEYS:
            return shown_training[(site_id, training_type)][audience]
        return values.get(key, 0)

    return show


def measure_name(t: dict[str, str], measure: str) -> str:
    """The measure as the workbook's other sheets name it."""
    if measure == DISTRIBUTED:
        return t["measure.distributed"]
    if measure == CONTACTS:
        return t["measure.contacts"]
    kind, _, rest = measure.partition(".")
    if kind == "naloxone":
        words = {"kits": t["kits"], "first": t["first_time"], "refill": t["refill"]}
        return f"{t['measure.naloxone']}: {words.get(rest) or t.get(rest, rest)}"
    training_type, _, key = rest.partition(".")
    words = {"sessions": t["sessions"], "participants": t["participants"]}
    name = words.get(key) or t.get(f"group.{key}", key)
    return f"{t['measure.training']} {t.get(f'type.{training_type}', training_type)}: {name}"


def changes_sheet(book: Workbook, data: SummaryData) -> None:
    """Every figure that differs from the previous submission: before, after, and (internal
    copy only) the entries behind it."""
    changes = data.changes
    if changes is None:
        return
    t = data.t
    columns = [
        Column(t["municipality_number"], 12),
        Column(t["site"], 14),
        Column(t["item"], 12),
        Column(t["changes.measure"], 40),
        Column(t["changes.before"], 10, INTEGER),
        Column(t["changes.after"], 10, INTEGER),
    ]
    if not data.external:
        columns.append(Column(t["changes.entries"], 80))
    table = Table(book, t["sheet.changes"], columns, intro=intro.lines(data, "changes"))
    sites = {s.id: s for s in data.sites}
    items = {i.id: i.code for i in data.items}
    site_ids = [s.id for s in data.sites]
    before = after = None
    if data.external:
        before = _protected(changes.before, site_ids, data.threshold)
        after = _protected(changes.after, site_ids, data.threshold)
    keys = [k for k in changed(changes) if k[0] in sites]
    for key in keys:
        site_id, item_id, measure = key
        old, new = changes.before.get(key, 0), changes.after.get(key, 0)
        if before is not None and after is not None and person_level(measure):
            old, new = before(key), after(key)
            if old == new:
                continue  # both hidden the same way: the change itself would give it away
        row = [
            sites[site_id].municipality_number,
            sites[site_id].code,
            items.get(item_id) if item_id else None,
            measure_name(t, measure),
            old,
            new,
        ]
        if not data.external:
            row.append("; ".join(changes.entries.get(key, [])))
        table.append(row)
    table.end_filter()
    table.blank()
    sheet = table.sheet
    when = changes.previous_at.strftime(WHEN_FORMATS.get(data.lang, WHEN_FORMATS["nb"]))
    sheet.append([styled(sheet, t["changes.intro"].format(id=changes.previous_id, at=when))])
    if not keys:
        sheet.append([styled(sheet, t["changes.none"])])
    table.close()
