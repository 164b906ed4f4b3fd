"""Headings and words of the workbook in Norwegian bokmål (default) and English."""

from __future__ import annotations

NB: dict[str, str] = {
    "sheet.summary": "Sammendrag",
    "sheet.distribution": "Utdeling",
    "sheet.naloxone": "Nalokson",
    "sheet.switch": "SWITCH",
    "sheet.training": "Opplæring",
    "sheet.stock": "Lager",
    "sheet.about": "Om rapporten",
    "municipality_number": "Kommunenr",
    "municipality": "Kommune",
    "site": "Sted",
    "site_name": "Stedsnavn",
    "active": "Aktiv",
    "yes": "Ja",
    "no": "Nei",
    "total": "Totalt",
    "contacts": "Kontakter",
    "unmet": "Spurt om, ikke gitt",
    "cat.syringe": "Sprøyter",
    "cat.needle": "Kanyler",
    "cat.foil": "Røykefolie",
    "cat.naloxone": "Nalokson",
    "cat.overdose_card": "Overdosekort",
    "cat.other": "Annet",
    "cat.kit": "Brukerpakke (innholdet telles i sine kategorier)",
    "item": "Vare",
    "item_name": "Varenavn",
    "category": "Kategori",
    "period": "Periode",
    "from": "Fra",
    "to": "Til",
    "quantity": "Antall",
    "month": "Måned",
    "trend_title": "Utdeling per måned",
    "kits": "Sett totalt",
    "group.pwud": "Brukere",
    "group.relative": "Pårørende",
    "group.staff": "Ansatte",
    "group.other": "Andre",
    "first_time": "Første gang",
    "refill": "Påfyll",
    "reason.used_on_overdose": "Påfyll: brukt ved overdose (rapporterte reverseringer)",
    "reason.lost": "Påfyll: tapt",
    "reason.stolen": "Påfyll: stjålet",
    "reason.confiscated": "Påfyll: beslaglagt",
    "reason.expired": "Påfyll: utløpt",
    "reason.other": "Påfyll: annet",
    "reason.unknown": "Påfyll: ukjent",
    "training_given": "Opplæring gitt (utleveringer)",
    "completeness": "Rapportert",
    "completeness_text": "{reported} av {opening} åpningsdager",
    "completeness_months": "{reported} av {months} måneder",
    "foil": "Røykefolie",
    "syringes_needles": "Sprøyter og kanyler",
    "ratio": "Forhold folie / sprøyter og kanyler",
    "training_type": "Type opplæring",
    "sessions": "Økter",
    "participants": "Deltakere totalt",
    "type.cpr": "HLR",
    "type.first_aid": "Førstehjelp",
    "type.naloxone": "Nalokson",
    "type.smoking_technique": "Røyketeknikk (SWITCH)",
    "type.overdose_conversation": "Overdosesamtale",
    "type.naloxone_course": "Naloksonkurset",
    "cert_heading": "HLR-sertifisering for ansatte per sted",
    "staff_count": "Ansatte",
    "cpr_valid": "Gyldig HLR",
    "cpr_expiring": "Gyldig, utløper innen 90 dager",
    "cpr_expired": "Utløpt HLR",
    "cpr_missing": "Mangler HLR",
    "on_hand": "På lager",
    "usage": "Forbruk per dag (siste 28 dager)",
    "days_left": "Dager igjen",
    "reorder_level": "Bestillingsnivå",
    "below_reorder": "Under bestillingsnivå",
    "expiring_90": "Utløper innen 90 dager",
    "discrepancy": "Avvik (negativ beholdning)",
    "field": "Felt",
    "value": "Verdi",
    "about.title": "Sammendrag for Helsedirektoratet",
    "about.period": "Periode",
    "about.sites": "Steder",
    "about.municipality": "Kommune",
    "about.all": "Alle steder brukeren har tilgang til",
    "about.generated_at": "Generert",
    "about.generated_by": "Generert av",
    "about.version": "Programversjon",
    "about.external": "Til ekstern bruk",
    "about.suppression": "Skjermingsregel",
    "about.suppression_on": (
        "Tall om personer (naloksonmottakere etter gruppe, første gang/påfyll og årsak; "
        "deltakere på opplæring) fra 1 til {t_1} vises som «<{t}» (eller «:» der også det ville "
        "avslørt tallet). Andre tall, også totaler, "
        "skjules som «:» der de synlige tallene og summene ellers ville avslørt et skjult tall. "
        "Antall utstyr skjermes aldri."
    ),
    "legend.marker": "1 til {t_1} (skjermet lite tall)",
    "legend.hidden": "Skjult for å hindre tilbakeregning av et skjermet tall (konfidensielt)",
    "about.suppression_off": "Ingen skjerming (intern bruk).",
    "about.stock_note": "Lager",
    "about.stock_note_text": (
        "Lagerarket viser beholdning ved periodens slutt (i dag om perioden ikke er over); "
        "forbruk er snitt per dag de 28 dagene før."
    ),
    "about.source": "Kilde",
    "about.source_text": (
        "Utdeling og kontakter fra de daglige summene som føres sammen med lagerbokføringen."
    ),
    "about.buckets": "Periodeinndeling i Utdeling",
    "bucket.day": "Dag",
    "bucket.week": "Uke",
    "bucket.month": "Måned",
    "bucket.tertial": "Tertial",
    "bucket.quarter": "Kvartal",
    "bucket.year": "År",
    "sheet.changes": "Endringer",
    "changes.intro": "Endret siden innsending {id} ({at})",
    "changes.measure": "Mål",
    "changes.before": "Før",
    "changes.after": "Etter",
    "changes.entries": "Registreringer bak endringen",
    "changes.none": "Ingen tall er endret.",
    "measure.distributed": "Utdelt",
    "measure.contacts": "Kontakter",
    "measure.naloxone": "Nalokson",
    "measure.training": "Opplæring",
}

EN: dict[str, str] = {
    "sheet.summary": "Summary",
    "sheet.distribution": "Distribution",
    "sheet.naloxone": "Naloxone",
    "sheet.switch": "SWITCH",
    "sheet.training": "Training",
    "sheet.stock": "Stock",
    "sheet.about": "About",
    "municipality_number": "Municipality no.",
    "municipality": "Municipality",
    "site": "Site",
    "site_name": "Site name",
    "active": "Active",
    "yes": "Yes",
    "no": "No",
    "total": "Total",
    "contacts": "Contacts",
    "unmet": "Asked for, not given",
    "cat.syringe": "Syringes",
    "cat.needle": "Needles",
    "cat.foil": "Smoking foil",
    "cat.naloxone": "Naloxone",
    "cat.overdose_card": "Overdose cards",
    "cat.other": "Other",
    "cat.kit": "Kit (its contents count in their categories)",
    "item": "Item",
    "item_name": "Item name",
    "category": "Category",
    "period": "Period",
    "from": "From",
    "to": "To",
    "quantity": "Quantity",
    "month": "Month",
    "trend_title": "Distribution per month",
    "kits": "Kits total",
    "group.pwud": "People who use drugs",
    "group.relative": "Relatives",
    "group.staff": "Staff",
    "group.other": "Other",
    "first_time": "First handout",
    "refill": "Refill",
    "reason.used_on_overdose": "Refill: used on an overdose (reported reversals)",
    "reason.lost": "Refill: lost",
    "reason.stolen": "Refill: stolen",
    "reason.confiscated": "Refill: confiscated",
    "reason.expired": "Refill: expired",
    "reason.other": "Refill: other",
    "reason.unknown": "Refill: unknown",
    "training_given": "Training given (handouts)",
    "completeness": "Reported",
    "completeness_text": "{reported} of {opening} opening days",
    "completeness_months": "{reported} of {months} months",
    "foil": "Smoking foil",
    "syringes_needles": "Syringes and needles",
    "ratio": "Ratio foil / syringes and needles",
    "training_type": "Training type",
    "sessions": "Sessions",
    "participants": "Participants total",
    "type.cpr": "CPR",
    "type.first_aid": "First aid",
    "type.naloxone": "Naloxone",
    "type.smoking_technique": "Smoking technique (SWITCH)",
    "type.overdose_conversation": "Overdose conversation",
    "type.naloxone_course": "Naloxone course (staff)",
    "cert_heading": "Staff CPR certification per site",
    "staff_count": "Staff",
    "cpr_valid": "CPR valid",
    "cpr_expiring": "Valid, expires within 90 days",
    "cpr_expired": "CPR expired",
    "cpr_missing": "No CPR",
    "on_hand": "On hand",
    "usage": "Use per day (last 28 days)",
    "days_left": "Days left",
    "reorder_level": "Reorder level",
    "below_reorder": "Below reorder level",
    "expiring_90": "Expiring within 90 days",
    "discrepancy": "Discrepancy (negative balance)",
    "field": "Field",
    "value": "Value",
    "about.title": "Summary for the Norwegian Directorate of Health",
    "about.period": "Period",
    "about.sites": "Sites",
    "about.municipality": "Municipality",
    "about.all": "All sites the user may see",
    "about.generated_at": "Generated",
    "about.generated_by": "Generated by",
    "about.version": "App version",
    "about.external": "For external use",
    "about.suppression": "Suppression rule",
    "about.suppression_on": (
        "Person-level figures (naloxone recipients by group, first/refill and reason; "
        "training participants) from 1 to {t_1} are shown as “<{t}” (or “:” where even that "
        "would give the figure away). Further figures, totals "
        "included, are hidden as “:” wherever the visible figures and sums would otherwise "
        "reveal a hidden one. Item counts are never suppressed."
    ),
    "legend.marker": "1 to {t_1} (small figure suppressed)",
    "legend.hidden": "Hidden so that a suppressed figure cannot be worked out (confidential)",
    "about.suppression_off": "No suppression (internal use).",
    "about.stock_note": "Stock",
    "about.stock_note_text": (
        "The stock sheet shows stock at the end of the period (today if it runs on); use is "
        "the daily average over the 28 days before."
    ),
    "about.source": "Source",
    "about.source_text": "Distribution and contacts from the daily totals kept with the ledger.",
    "about.buckets": "Period buckets in Distribution",
    "bucket.day": "Day",
    "bucket.week": "Week",
    "bucket.month": "Month",
    "bucket.tertial": "Tertial (four months)",
    "bucket.quarter": "Quarter",
    "bucket.year": "Year",
    "sheet.changes": "Changes",
    "changes.intro": "Changed since submission {id} ({at})",
    "changes.measure": "Measure",
    "changes.before": "Before",
    "changes.after": "After",
    "changes.entries": "Entries behind the change",
    "changes.none": "No figure has changed.",
    "measure.distributed": "Distributed",
    "measure.contacts": "Contacts",
    "measure.naloxone": "Naloxone",
    "measure.training": "Training",
}

# The intro block every sheet opens with, the SWITCH and training additions, the Data sheet.
NB.update(
    {
        "sheet.data": "Data",
        "intro.period": "Periode: {start}–{end}",
        "intro.municipality": "kommune {place}, alle stedene der ({codes})",
        "intro.sites": "stedene {codes}",
        "intro.sites_in": "stedene {codes} i kommune {place}",
        "intro.all": "alle steder brukeren har tilgang til ({codes})",
        "intro.more": "og {n} til",
        "intro.selection": "Utvalg: {text}",
        "intro.compare": "Sammenlignet med samme periode året før: {start}–{end}",
        "title.summary": "Sammendrag: utdeling og kontakter per kommune og sted",
        "units.summary": (
            "Enheter: antall stykk i varens enhet (nalokson i sett); kontakter i antall."
        ),
        "defs.summary": (
            "Definisjoner: sum for hele perioden per varekategori. Tom celle = ikke "
            "rapportert; 0 = rapportert, ingenting delt ut. Totalt står under tabellen."
        ),
        "title.distribution": "Utdeling per sted, vare og periode",
        "units.distribution": "Enheter: antall stykk i varens enhet (nalokson i sett).",
        "defs.distribution": (
            "Definisjoner: én kolonne per {bucket}; Totalt = hele perioden. Til høyre: "
            "utdeling per måned og varekategori for alle stedene, med diagram."
        ),
        "title.naloxone": (
            "Nalokson nesespray: sett etter mottakergruppe, første gang eller påfyll, og årsak"
        ),
        "units.naloxone": "Enhet: sett nalokson nesespray.",
        "defs.naloxone": (
            "Definisjoner: Sett totalt = summen av gruppene = første gang + påfyll; påfyll = "
            "summen av årsakene. Påfyll etter bruk ved overdose = rapporterte reverseringer."
        ),
        "title.switch": "SWITCH: røykefolie mot sprøyter og kanyler",
        "units.switch": "Enheter: antall stykk; andel i prosent med én desimal.",
        "defs.switch": (
            "Definisjoner: Andel = røykefolie / (sprøyter + kanyler), per sted og måned i "
            "tabellen og for hele perioden per sted under den. Tom andel = ingen sprøyter "
            "eller kanyler."
        ),
        "title.training": "Opplæring: økter og deltakere, HLR-kurs for brukere, ansattes HLR",
        "units.training": "Enheter: antall økter, deltakere, måneder og ansatte.",
        "defs.training": (
            "Definisjoner: Deltakere totalt = summen av gruppene. Måneder med HLR-kurs for "
            "brukere = måneder med minst én HLR-økt med brukere, av månedene i perioden."
        ),
        "title.stock": "Lager: beholdning ved periodens slutt",
        "units.stock": "Enheter: varens enhet; forbruk i enheter per dag.",
        "defs.stock": (
            "Definisjoner: beholdning ved periodens slutt (i dag om perioden ikke er over); "
            "forbruk = snitt per dag de 28 dagene før; dager igjen = beholdning / forbruk."
        ),
        "title.changes": "Endringer: tall som er endret siden forrige innsending",
        "units.changes": "Enheter: som i de andre arkene; Før = forrige innsending, Etter = nå.",
        "title.data": "Data: én rad per sted, periode, vare og mål (til pivottabeller)",
        "units.data": (
            "Enheter: som i de andre arkene. Verdi er tom når tallet er skjermet eller ikke "
            "rapportert, og Status sier hvorfor, så summer stemmer."
        ),
        "defs.data": (
            "Mål: Utdelt per vare og periode; Kontakter per sted og periode; nalokson og "
            "opplæring per sted for hele perioden (periodestart = periodens første dag)."
        ),
        "title.about": "Om rapporten",
        "units.about": "Hva rapporten dekker, hvem som lagde den og hvordan tallene er skjermet.",
        "switch_whole": "Hele perioden per sted",
        "share": "Andel folie / (sprøyter + kanyler)",
        "cpr_months": "Måneder med HLR-kurs for brukere",
        "months_in_period": "Måneder i perioden",
        "x_axis": "Måned",
        "y_axis": "Antall",
        "data.site_kind": "Type sted",
        "data.period_start": "Periodestart",
        "data.item_category": "Varekategori",
        "data.measure": "Mål",
        "data.value": "Verdi",
        "data.status": "Status",
        "data.previous": "Verdi året før",
        "data.previous_status": "Status året før",
        "measure.distributed": "Utdelt",
        "measure.contacts": "Kontakter",
        "measure.kits": "Sett",
        "measure.sessions": "Økter",
        "measure.participants": "Deltakere",
        "status.not_reported": "ikke rapportert",
        "kind.lavterskel_helsesenter": "Lavterskel helsesenter",
        "kind.mo_senter": "MO-senter",
        "kind.sproyterom": "Sprøyterom",
        "kind.oppsokende_team": "Oppsøkende team",
        "kind.apotek": "Apotek",
        "kind.fengsel": "Fengsel",
        "kind.annet": "Annet",
        "about.filter": "Utvalg",
        "about.none": "Ingen",
        "about.compare": "Sammenligning",
        "about.compare_off": "Ingen sammenligning",
        "about.operator": "Kommandolinjen på serveren (driftsbruker)",
        "about.blank": "Tomme celler",
        "about.blank_text": (
            "Tom celle = ikke rapportert (ingen registrering for stedet den dagen); "
            "0 = rapportert, ingenting delt ut."
        ),
    }
)

EN.update(
    {
        "sheet.data": "Data",
        "intro.period": "Period: {start}–{end}",
        "intro.municipality": "municipality {place}, all its sites ({codes})",
        "intro.sites": "the sites {codes}",
        "intro.sites_in": "the sites {codes} in municipality {place}",
        "intro.all": "all sites the user may see ({codes})",
        "intro.more": "and {n} more",
        "intro.selection": "Selection: {text}",
        "intro.compare": "Compared with the same period a year earlier: {start}–{end}",
        "title.summary": "Summary: distribution and contacts per municipality and site",
        "units.summary": "Units: pieces in the item's unit (naloxone in kits); contacts as counts.",
        "defs.summary": (
            "Definitions: total for the whole period per item category. Empty cell = not "
            "reported; 0 = reported, nothing handed out. Total is below the table."
        ),
        "title.distribution": "Distribution per site, item and period",
        "units.distribution": "Units: pieces in the item's unit (naloxone in kits).",
        "defs.distribution": (
            "Definitions: one column per {bucket}; Total = the whole period. On the right: "
            "distribution per month and item category over all sites, with a chart."
        ),
        "title.naloxone": (
            "Naloxone nasal spray: kits by recipient group, first handout or refill, and reason"
        ),
        "units.naloxone": "Unit: kits of naloxone nasal spray.",
        "defs.naloxone": (
            "Definitions: Kits total = sum of the groups = first handout + refill; refill = "
            "sum of the reasons. Refill after use on an overdose = reported reversals."
        ),
        "title.switch": "SWITCH: smoking foil against syringes and needles",
        "units.switch": "Units: pieces; share as a percentage with one decimal.",
        "defs.switch": (
            "Definitions: Share = smoking foil / (syringes + needles), per site and month in "
            "the table and for the whole period per site below it. Empty share = no syringes "
            "or needles."
        ),
        "title.training": "Training: sessions and participants, CPR courses for users, staff CPR",
        "units.training": "Units: counts of sessions, participants, months and staff.",
        "defs.training": (
            "Definitions: Participants total = sum of the groups. Months with a CPR course for "
            "users = months with at least one CPR session with users, of the months in the "
            "period."
        ),
        "title.stock": "Stock: on hand at the end of the period",
        "units.stock": "Units: the item's unit; use in units per day.",
        "defs.stock": (
            "Definitions: stock at the end of the period (today if it runs on); use = daily "
            "average over the 28 days before; days left = on hand / use."
        ),
        "title.changes": "Changes: figures changed since the previous submission",
        "units.changes": "Units: as on the other sheets; Before = last submission, After = now.",
        "title.data": "Data: one row per site, period, item and measure (for pivot tables)",
        "units.data": (
            "Units: as on the other sheets. Value is empty when the figure is suppressed or "
            "not reported, and Status says why, so sums add up."
        ),
        "defs.data": (
            "Measures: Distributed per item and period; Contacts per site and period; "
            "naloxone and training per site for the whole period (period start = its first day)."
        ),
        "title.about": "About this report",
        "units.about": "What the report covers, who made it and how figures are protected.",
        "switch_whole": "Whole period per site",
        "share": "Share foil / (syringes + needles)",
        "cpr_months": "Months with a CPR course for users",
        "months_in_period": "Months in the period",
        "x_axis": "Month",
        "y_axis": "Quantity",
        "data.site_kind": "Site kind",
        "data.period_start": "Period start",
        "data.item_category": "Item category",
        "data.measure": "Measure",
        "data.value": "Value",
        "data.status": "Status",
        "data.previous": "Value a year earlier",
        "data.previous_status": "Status a year earlier",
        "measure.distributed": "Distributed",
        "measure.contacts": "Contacts",
        "measure.kits": "Kits",
        "measure.sessions": "Sessions",
        "measure.participants": "Participants",
        "status.not_reported": "not reported",
        "kind.lavterskel_helsesenter": "Low-threshold health centre",
        "kind.mo_senter": "MO centre",
        "kind.sproyterom": "Supervised injection room",
        "kind.oppsokende_team": "Outreach team",
        "kind.apotek": "Pharmacy",
        "kind.fengsel": "Prison",
        "kind.annet": "Other",
        "about.filter": "Selection",
        "about.none": "None",
        "about.compare": "Comparison",
        "about.compare_off": "No comparison",
        "about.operator": "The server's command line (operator)",
        "about.blank": "Empty cells",
        "about.blank_text": (
            "Empty cell = not reported (no entry for the site that day); 0 = reported, "
            "nothing handed out."
        ),
    }
)

LANGS = {"nb": NB, "en": EN}


def labels(lang: str) -> dict[str, str]:
    return LANGS.get(lang, NB)
