"""The installable app and entry without a network (issue 25).

The manifest, the service worker (from the app's origin, scope /), the offline form shell
(no user data: the service worker may cache it) and the JSON the phone keeps in IndexedDB.
Queued entries are sent by the page to the ordinary API endpoints (tallies, naloxone
handouts, overdose events, referrals) with the session cookie, the CSRF header and their
own Idempotency-Key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from tracker import dates
from tracker.services import offline, plausibility
from tracker.services.overdoses import MAX_DOSES
from tracker.web.common import current_actor
from tracker.web.day_counts import DESTINATION_LABELS
from tracker.web.formats import item_name
from tracker.web.naloxone import RECIPIENT_LABELS, REFILL_LABELS
from tracker.web.nav import APP_NAME
from tracker.web.overdoses import OUTCOME_LABELS, PLACE_LABELS

bp = Blueprint("web_offline", __name__)

THEME = "#0b5394"  # the header colour (app.css --accent)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from the root so its scope covers every staff page."""
    response = send_from_directory(current_app.root_path + "/web/static", "sw.js", max_age=0)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    body = {
        "name": APP_NAME,
        "short_name": _("Utdeling"),
        "lang": "nb",
        "start_url": "/utdeling",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": "#ffffff",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/uten-nett")
def shell():
    """The offline forms, filled in by offline.js from IndexedDB: no user data in the page."""
    return render_template(
        "offline/shell.html",
        recipients=RECIPIENT_LABELS,
        refills=REFILL_LABELS,
        places=PLACE_LABELS,
        outcomes=OUTCOME_LABELS,
        max_doses=MAX_DOSES,
        destinations=DESTINATION_LABELS,
    )


@bp.get("/uten-nett/data")
@login_required
def data() -> Response:
    """The user's sites, items (with usual figures) and naloxone lots for the phone."""
    today = dates.today()
    sites: list[dict[str, Any]] = []
    for found in offline.offline_sites(current_actor(), today):
        sites.append(
            {
                "code": found.site.code,
                "name": found.site.name,
                "items": [
                    {
                        "code": item.code,
                        "name": item_name(item),
                        "p90": found.p90.get(item.id, 0),
                        "unusual_above": offline.unusual_above(found.p90.get(item.id)),
                    }
                    for item in found.items
                ],
                "naloxone": item_name(found.naloxone_item) if found.naloxone_item else None,
                "naloxone_p90": found.p90.get(found.naloxone_item.id, 0)
                if found.naloxone_item
                else 0,
                "naloxone_unusual_above": offline.unusual_above(
                    found.p90.get(found.naloxone_item.id), plausibility.NALOXONE_FLOOR
                )
                if found.naloxone_item
                else None,
                "lots": [
                    {
                        "lot": lot.lot_number,
                        "expiry": lot.expiry.isoformat() if lot.expiry else None,
                    }
                    for lot in found.lots
                ],
            }
        )
    return jsonify({"user": current_user.id, "today": today.isoformat(), "sites": sites})


@bp.get("/uten-nett/token")
@login_required
def token() -> Response:
    """A fresh CSRF token for the queue's writes (the cached shell carries none)."""
    return jsonify({"user": current_user.id, "csrf": generate_csrf()})


def texts() -> dict[str, str]:
    """What offline.js shows, translated here ({n}, {item} ... are filled in by the script)."""
    return {
        "waiting": _("{n} venter på sending"),
        "queued": _("Venter"),
        "sending": _("Sender …"),
        "sent": _("Sendt"),
        "receipt": _("kvittering nr. {id}"),
        "refused": _("Avvist"),
        "discard": _("Forkast"),
        "retry": _("Send igjen"),
        "fix": _("Rett opp"),
        "clear_sent": _("Fjern sendte fra listen"),
        "saved": _("Lagret på telefonen. Sendes når nettet er tilbake."),
        "offline": _("Uten nett: registreringer lagres på telefonen."),
        "no_data": _("Ingen lagrede steder. Åpne appen med nett og logg inn først."),
        "login_to_send": _("Logg inn for å sende det som venter."),
        "logout_warning": _(
            "{n} registreringer er ikke sendt ennå. De blir liggende på denne telefonen til "
            "du logger inn igjen med nett. Logge ut likevel?"
        ),
        "age_sites": _("Steder oppdatert {time}"),
        "age_items": _("Varer oppdatert {time}"),
        "age_lots": _("Partier oppdatert {time}"),
        "unlikely": _(
            "{item}: {qty} er mye mer enn vanlig (en travel dag: {usual}). Stemmer tallet? "
            "Lagre igjen for å bekrefte."
        ),
        "whole_number": _("Skriv et helt tall fra 0 og oppover."),
        "pick_site": _("Velg sted."),
        "pick_date": _("Velg dato."),
        "pick_one": _("Velg ett av valgene."),
        "refused_unknown": _("Serveren avviste registreringen."),
        "kind_tally": _("Utdeling"),
        "kind_naloxone": _("Nalokson"),
        "kind_overdose": _("Overdose"),
        "kind_referral": _("Henvisning"),
        "any_lot": _("– eldste parti først –"),
        "made_at": _("laget {time}"),
    }


@bp.app_context_processor
def offline_globals() -> dict[str, Any]:
    return {"offline_texts": texts, "theme_color": THEME}
