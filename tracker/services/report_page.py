"""The Reports page (/rapporter): distribution, completeness, SWITCH, naloxone and training
for one period and filter, gathered in one call so the view only renders."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker import periods
from tracker.errors import Forbidden
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TOTAL,
    TRAINING_KEYS,
    naloxone_table,
    training_table,
)
from tracker.models.training import TRAINING_TYPES
from tracker.services import completeness, exports, naloxone, reports, training, unmet_demand
from tracker.services.access import Actor

DEFAULT_PRESET = "last_12_months"  # a year of months: the first view is not an empty chart


@dataclass
class ReportPage:
    """What the Reports page shows: the filter choices, and the report once asked for."""

    sites: list[reports.SiteInfo]
    municipalities: list[tuple[str, str]]
    date_from: date
    date_to: date
    presets: dict[str, periods.Period] = field(default_factory=dict)
    report: reports.DistributionReport | None = None
    monthly: reports.DistributionReport | None = None
    external: bool = False
    threshold: int = 5
    # site id (and TOTAL) -> key -> the figure shown (protected when external)
    naloxone: dict[Any, dict[str, Any]] = field(default_factory=dict)
    naloxone_keys: tuple[str, ...] = NALOXONE_KEYS
    training: list[training.SiteTraining] = field(default_factory=list)
    # (site id or TOTAL, training type) -> audience or "participants" -> the figure shown
    participants: dict[Any, dict[str, Any]] = field(default_factory=dict)
    training_keys: tuple[str, ...] = TRAINING_KEYS
    training_types: tuple[str, ...] = TRAINING_TYPES
    unmet: dict[int, int] = field(default_factory=dict)  # site id -> asked for, not given

    @property
    def preset_name(self) -> str:
        """The preset whose range the page shows, or "custom"."""
        for name, chosen in self.presets.items():
            if (chosen.start, chosen.end) == (self.date_from, self.date_to):
                return name
        return "custom"

    @property
    def presets_json(self) -> str:
        """{preset: [from, to]} for the page's script: From and To follow the preset picked."""
        return json.dumps(
            {name: [p.start.isoformat(), p.end.isoformat()] for name, p in self.presets.items()}
        )


def _places(actor: Actor, sites: list[reports.SiteInfo]) -> list[tuple[str, str]]:
    if not actor.is_coordinator:
        return []
    by_place: dict[str, list[reports.SiteInfo]] = defaultdict(list)
    for info in sites:
        by_place[info.municipality_number].append(info)
    return sorted(
        (number, infos[0].municipality_name)
        for number, infos in by_place.items()
        if actor.is_admin
        or actor.user.municipality is None
        or actor.user.municipality.number == number
    )


def report_page(
    actor: Actor,
    *,
    preset: str | None,
    date_from: date | None,
    date_to: date | None,
    by: str = "month",
    site: str | None = None,
    municipality: str | None = None,
    on: date,
    run: bool = True,
    external: bool = False,
    first_visit: bool = False,
) -> ReportPage:
    """The Reports page: choices for the filters, a preset or custom period, and the report
    with its SWITCH, naloxone and training sections (protected as in the external workbook
    when `external`)."""
    sites = reports.reportable_sites(actor)
    if not sites:
        raise Forbidden(_l("Du er ikke stedsleder eller koordinator for noe sted."))
    if first_visit:  # the twelve months up to the last one with an entry: never empty
        latest = completeness.latest_entry([s.id for s in sites], on) or on
        chosen = periods.preset(DEFAULT_PRESET, latest)
        date_from, date_to = chosen.start, min(periods.containing("month", latest).end, on)
        preset = None
    if preset and preset != "custom":
        chosen = periods.preset(preset, on)
        date_from, date_to = chosen.start, chosen.end
    default = periods.preset(DEFAULT_PRESET, on)
    page = ReportPage(
        sites,
        _places(actor, sites),
        date_from or default.start,
        date_to or default.end,
        {name: periods.preset(name, on) for name in periods.PRESETS},
    )
    if not run:
        return page
    scope = reports.resolve_scope(
        actor,
        date_from=date_from,
        date_to=date_to,
        sites=[site] if site else [],
        municipality=municipality,
    )
    page.report = reports.build_distribution(scope, by)
    page.monthly = page.report if by == "month" else reports.build_distribution(scope, "month")
    page.external = external
    page.threshold = naloxone.suppression_threshold()
    page.naloxone = naloxone_table(
        naloxone.naloxone_figures(scope), scope.site_ids, external, page.threshold
    )
    page.unmet = unmet_demand.site_totals(scope.site_ids, scope.start, scope.end)
    page.training = training.training_summary(scope.site_ids, scope.start, scope.end)
    page.participants = training_table(
        exports.training_figures(scope), scope.site_ids, TRAINING_TYPES, external, page.threshold
    )
    return page


__all__ = ["DEFAULT_PRESET", "TOTAL", "ReportPage", "report_page"]
