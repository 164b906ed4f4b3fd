"""The sheets Overdoser, Henvisninger and Retur, and contacts by group on Sammendrag.

Rows are site and month, for the months with anything recorded; a total row below the
autofilter. Overdoses, referrals and contacts by group are about persons and are protected
in external files (event_tables); returns are equipment and are shown as they are.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from tracker.exports import intro
from tracker.exports.event_tables import (
    DESTINATION_KEYS,
    GROUP_KEYS,
    OUTCOME_KEYS,
    OVERDOSE_KEYS,
    PLACE_KEYS,
    REFERRAL_KEYS,
    TOTAL,
    group_table,
    overdose_table,
    referral_table,
)
from tracker.exports.figures import SummaryData
from tracker.exports.sheet import DECIMAL, INTEGER, Column, Table, month_format, styled
from tracker.exports.suppression import HIDDEN, marker
from tracker.models.events import RETURN_KINDS

NB: dict[str, str] = {
    "defs.overdoses": (
        "Definisjoner: én overdose = én hendelse registrert av stedet; doser = nalokson gitt av "
        "ansatte (ikke utdeling). Små tall skjermes i filer til ekstern bruk."
    ),
    "defs.referrals": (
        "Definisjoner: Henvist totalt = summen av stedene det er henvist til. Små tall "
        "skjermes i filer til ekstern bruk."
    ),
    "defs.returns": (
        "Definisjoner: retur per 100 utdelt = talte brukte sprøyter og kanyler / sprøyter og "
        "kanyler utdelt samme måned × 100."
    ),
    "title.overdoses": "Overdoser: hendelser, nalokson gitt av ansatte, ambulanse og utfall",
    "units.overdoses": "Enheter: antall overdoser; doser nalokson gitt av ansatte.",
    "title.referrals": "Henvisninger: personer henvist videre, etter hvor",
    "units.referrals": "Enheter: antall henvisninger.",
    "title.returns": "Retur: brukt utstyr levert tilbake, mot sprøyter og kanyler utdelt",
    "units.returns": "Enheter: kanylebokser og talte sprøyter og kanyler; retur per 100 utdelt.",
    "sheet.overdoses": "Overdoser",
    "sheet.referrals": "Henvisninger",
    "sheet.returns": "Retur",
    "events": "Overdoser",
    "place.at_site": "På stedet",
    "place.outreach": "Oppsøkende",
    "place.elsewhere": "Annet sted",
    "doses": "Doser nalokson gitt av ansatte",
    "with_naloxone": "Overdoser med nalokson",
    "oxygen": "Oksygen gitt",
    "cpr": "HLR gitt",
    "ambulance": "Ambulanse tilkalt",
    "outcome.recovered_on_site": "Kom seg på stedet",
    "outcome.to_hospital": "Til sykehus/legevakt",
    "outcome.died": "Døde",
    "outcome.unknown": "Utfall ukjent",
    "referred": "Henvist totalt",
    "to.lar_tsb": "LAR/TSB",
    "to.legevakt": "Legevakt",
    "to.nav": "NAV",
    "to.housing": "Bolig",
    "to.somatic_care": "Somatisk helsehjelp",
    "to.other": "Annet",
    "container_small": "Små kanylebokser",
    "container_large": "Store kanylebokser",
    "pieces": "Brukte sprøyter og kanyler talt",
    "handed_out": "Sprøyter og kanyler utdelt",
    "per_hundred": "Talt retur per 100 utdelt",
    "women": "Kvinner",
    "men": "Menn",
    "other_gender": "Annet/ukjent kjønn",
    "first_visit": "Første besøk i år",
    "repeat_visit": "Gjentatte besøk",
}
EN: dict[str, str] = {
    "defs.overdoses": (
        "Definitions: one overdose = one event recorded by the site; doses = naloxone given by "
        "staff (not distribution). Small figures are protected in files for external use."
    ),
    "defs.referrals": (
        "Definitions: Referred in total = the sum over destinations. Small figures are "
        "protected in files for external use."
    ),
    "defs.returns": (
        "Definitions: returns per 100 handed out = counted used syringes and needles / "
        "syringes and needles handed out the same month × 100."
    ),
    "title.overdoses": "Overdoses: events, naloxone given by staff, ambulance and outcome",
    "units.overdoses": "Units: number of overdoses; naloxone doses given by staff.",
    "title.referrals": "Referrals: people referred on, by destination",
    "units.referrals": "Units: number of referrals.",
    "title.returns": "Returns: used equipment brought back, against syringes and needles out",
    "units.returns": "Units: sharps containers and counted syringes and needles; per 100 out.",
    "sheet.overdoses": "Overdoses",
    "sheet.referrals": "Referrals",
    "sheet.returns": "Returns",
    "events": "Overdoses",
    "place.at_site": "At the site",
    "place.outreach": "Outreach",
    "place.elsewhere": "Elsewhere",
    "doses": "Naloxone doses given by staff",
    "with_naloxone": "Overdoses with naloxone",
    "oxygen": "Oxygen given",
    "cpr": "CPR given",
    "ambulance": "Ambulance called",
    "outcome.recovered_on_site": "Recovered on site",
    "outcome.to_hospital": "To hospital/emergency",
    "outcome.died": "Died",
    "outcome.unknown": "Outcome unknown",
    "referred": "Referred in total",
    "to.lar_tsb": "OAT/specialist addiction care",
    "to.legevakt": "Emergency clinic",
    "to.nav": "NAV (welfare)",
    "to.housing": "Housing",
    "to.somatic_care": "Somatic care",
    "to.other": "Other",
    "container_small": "Small sharps containers",
    "container_large": "Large sharps containers",
    "pieces": "Used syringes and needles counted",
    "handed_out": "Syringes and needles handed out",
    "per_hundred": "Counted returns per 100 handed out",
    "women": "Women",
    "men": "Men",
    "other_gender": "Other/unknown gender",
    "first_visit": "First visit this year",
    "repeat_visit": "Repeat visits",
}
assert set(NB) == set(EN)
assert set(OVERDOSE_KEYS) | set(REFERRAL_KEYS) | set(GROUP_KEYS) <= set(NB)
assert set(PLACE_KEYS) | set(OUTCOME_KEYS) | set(DESTINATION_KEYS) <= set(NB)


def words(data: SummaryData) -> dict[str, str]:
    """The workbook's words and this module's, in the workbook's language."""
    return {**data.t, **(EN if data.lang == "en" else NB)}


def _intro(data: SummaryData, t: dict[str, str], key: str) -> list[str]:
    """Title, period, filter and units, as every sheet of the workbook opens."""
    return [
        t[f"title.{key}"],
        intro.period_line(data),
        intro.filter_line(data),
        t[f"units.{key}"],
        t[f"defs.{key}"],
    ]


def _rows(data: SummaryData, figures: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """(site, month) in the workbook's site order, for the months with figures."""
    order = {site.id: index for index, site in enumerate(data.sites)}
    return sorted((key for key in figures if key[0] in order), key=lambda k: (order[k[0]], k[1]))


def _lead(t: dict[str, str], lang: str) -> list[Column]:
    """Municipality, site, and the month as a real date shown as month and year."""
    month = Column(t["month"], 10, month_format(lang))
    return [Column(t["municipality_number"], 12), Column(t["site"], 14), month]


def _site_month(data: SummaryData, sites: dict[int, Any], row: Any) -> list[Any]:
    site = sites[row[0]]
    return [site.municipality_number, site.code, row[1]]


def _person_sheet(
    book: Workbook,
    data: SummaryData,
    title: str,
    keys: tuple[str, ...],
    figures: dict[Any, dict[str, int]],
    build: Any,
) -> None:
    t = words(data)
    table = Table(
        book,
        t[title],
        [*_lead(t, data.lang), *[Column(t[k], 14, INTEGER) for k in keys]],
        intro=_intro(data, t, title.removeprefix("sheet.")),
    )
    sites = {s.id: s for s in data.sites}
    rows = _rows(data, figures)
    shown = build(figures, rows, data.external, data.threshold)
    for row in rows:
        table.append([*_site_month(data, sites, row), *[shown[row][k] for k in keys]])
    table.end_filter()
    table.append([None, t["total"], None, *[shown[TOTAL][k] for k in keys]])
    legend(table, data, t)
    table.close()


def overdose_sheet(book: Workbook, data: SummaryData) -> None:
    """Overdoses by where, naloxone given by staff, oxygen, CPR, ambulance and outcome."""
    _person_sheet(
        book, data, "sheet.overdoses", OVERDOSE_KEYS, data.events.overdoses, overdose_table
    )


def referral_sheet(book: Workbook, data: SummaryData) -> None:
    """People referred on, by destination, per site and month."""
    _person_sheet(
        book, data, "sheet.referrals", REFERRAL_KEYS, data.events.referrals, referral_table
    )


def return_sheet(book: Workbook, data: SummaryData) -> None:
    """Used equipment returned against syringes and needles handed out (never suppressed)."""
    t = words(data)
    keys = (*RETURN_KINDS, "handed_out")
    columns = [*_lead(t, data.lang), *[Column(t[k], 16, INTEGER) for k in keys]]
    table = Table(
        book,
        t["sheet.returns"],
        [*columns, Column(t["per_hundred"], 16, DECIMAL)],
        intro=_intro(data, t, "returns"),
    )
    sites = {s.id: s for s in data.sites}
    figures = data.events.returns
    totals = dict.fromkeys(keys, 0)
    for row in _rows(data, figures):
        values = [figures[row].get(k, 0) for k in keys]
        for key, value in zip(keys, values, strict=True):
            totals[key] += value
        table.append([*_site_month(data, sites, row), *values, _per_hundred(figures[row])])
    table.end_filter()
    table.append([None, t["total"], None, *totals.values(), _per_hundred(totals)])
    table.close()


def _per_hundred(figures: dict[str, int]) -> float | None:
    handed_out = figures.get("handed_out", 0)
    return round(100 * figures.get("pieces", 0) / handed_out, 1) if handed_out else None


def group_columns(data: SummaryData) -> list[Column]:
    """Sammendrag's columns for contacts by group (none when no site counts them)."""
    if not data.events.groups:
        return []
    t = words(data)
    return [Column(t[k], 12, INTEGER) for k in GROUP_KEYS]


def group_cells(data: SummaryData) -> dict[Any, list[Any]]:
    """Site id (and TOTAL) -> Sammendrag's cells for contacts by group, protected if external."""
    if not data.events.groups:
        return {}
    site_ids = [site.id for site in data.sites]
    shown = group_table(data.events.groups, site_ids, data.external, data.threshold)
    return {row: [cells[k] for k in GROUP_KEYS] for row, cells in shown.items()}


def legend(table: Table, data: SummaryData, t: dict[str, str]) -> None:
    """Below an external table: what `<5` and `:` stand for."""
    if not data.external:
        return
    table.blank()
    for symbol, key in ((marker(data.threshold), "legend.marker"), (HIDDEN, "legend.hidden")):
        text = t[key].format(t=data.threshold, t_1=data.threshold - 1)
        table.sheet.append([styled(table.sheet, symbol), styled(table.sheet, text)])
        table.rows += 1
