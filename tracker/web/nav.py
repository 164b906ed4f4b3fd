"""The menu: one entry per area, shown to users whose strongest role reaches the entry's.

A page module's area adds its line to NAV; base.html renders `nav_items()`. Pages still check
access themselves: the menu only hides what a user could not open.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.models.auth import ROLE_RANK
from tracker.services.access import strongest_role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazily translated string
    need: str = "staff"  # the weakest role that sees the entry
    site_page: bool = False  # the same page as one of SITE_NAV's, at the user's last site


NAV: list[NavItem] = [
    NavItem("web.home", _l("Start")),
    NavItem("web_reports.index", _l("Rapporter"), need="lead"),
    NavItem("web_tallies.entry_here", _l("Utdeling"), site_page=True),
    NavItem("web_naloxone.handout_here", _l("Nalokson"), site_page=True),
    NavItem("web_stock.receive_here", _l("Mottak"), site_page=True),
    NavItem("web_stock.site_stock_here", _l("Lager"), site_page=True),
    NavItem("web_tallies.history_here", _l("Historikk"), site_page=True),
    NavItem("web_sites.levels_here", _l("Nivåer"), need="lead"),
    NavItem("web_sites.index", _l("Steder"), need="coordinator"),
    NavItem("web_users.index", _l("Brukere"), need="coordinator"),
    NavItem("web_training.sessions", _l("Opplæring")),
    NavItem("web_transfers.index", _l("Overføringer"), need="lead"),
    NavItem("web_counts.index", _l("Varetelling"), need="lead"),
    NavItem("web_discards.new", _l("Kassering"), need="lead"),
    NavItem("web_reorder.index", _l("Bestilling og utløp"), need="lead"),
    NavItem("web_discrepancies.index", _l("Avvik"), need="lead"),
    NavItem("web_alerts.index", _l("Varsler"), need="coordinator"),
    NavItem("web_audit.index", _l("Revisjonslogg"), need="admin"),
    NavItem("web_imports.index", _l("Import"), need="coordinator"),
    NavItem("web_municipalities.index", _l("Kommuner"), need="admin"),
    NavItem("web_catalog.index", _l("Varer"), need="admin"),
]


APP_NAME = "Utdelingsregister"

# The pages of one site, shown above a site's page (site_nav.html): (endpoint, label).
SITE_NAV: list[tuple[str, object]] = [
    ("web_tallies.entry", _l("Utdeling")),
    ("web_naloxone.handout", _l("Nalokson")),
    ("web_overdoses.events", _l("Overdoser")),
    ("web_stock.receive", _l("Mottak")),
    ("web_stock.site_stock", _l("Lager")),
    ("web_tallies.history", _l("Historikk")),
    ("web_sites.items", _l("Varer")),
    ("web_sites.opening", _l("Åpningsdager")),
    ("web_deliveries.edit", _l("Leveringsdager")),
    ("web_unmet_demand.index", _l("Spurt om")),
]
_SITE_NAV_PAGES = {endpoint for endpoint, _label in SITE_NAV}


def visible_items() -> list[NavItem]:
    """The entries the logged-in user may open.

    On a site's own page its site menu already links those pages: the main menu leaves out
    its copies of them, so no link appears twice.
    """
    if not getattr(current_user, "is_authenticated", False):
        return []
    role = strongest_role(current_user)
    if role is None:
        return []
    on_site_page = request.endpoint in _SITE_NAV_PAGES
    return [
        item
        for item in NAV
        if ROLE_RANK[role] >= ROLE_RANK[item.need] and not (on_site_page and item.site_page)
    ]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _nav() -> dict[str, object]:
        return {"nav_items": visible_items, "site_nav": SITE_NAV, "app_name": APP_NAME}
