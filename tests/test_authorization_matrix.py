"""Who may open what: every endpoint and page × every role × own site and another site.

The matrix is generated from the app's URL map. RULES names the access rule of every
"METHOD endpoint"; a new endpoint without a rule fails `test_every_endpoint_has_a_rule`.

Rules (the weakest that is allowed):
  "public"              anyone, also without login
  "authenticated"       any logged-in user or valid token, whatever their sites
  "site:staff"          staff/lead at the site, a coordinator of its municipality, admin
  "site:lead"           lead at the site, a coordinator of its municipality, admin
  "site:coordinator"    a coordinator of the site's municipality, admin
  "global:coordinator"  any coordinator (their municipality's data only) and admin
  "admin"               admin only
A rule may end in "/hidden": objects of a site the user cannot see are answered 404, as if
they did not exist (transfers, counts, discrepancies). Then a 404 is also "denied", and an
allowed answer must not be 404 (the object named is real).
"Allowed" means the answer is neither 401/403 nor a redirect to the login page (a 404, 409
or 422 is allowed: access was granted, the request itself was refused); "denied" means
exactly that. Nothing may answer 5xx. Two page-specific readings of a response:
  - a page action that answers a redirect flashing the service's refusal (Forbidden or
    NotFound: "Du har ikke tilgang ...", "Dette krever rollen ...",
    "Det finnes ingen overføring 3.")
    is denied: such pages show the refusal on the page they return to, not as a 403;
  - for the keys in LOGIN_IS_SUCCESS (logging out), a redirect to the login page without
    `next` is the action's success; login_required's redirect carries `next`.

Requests that need a body, a query or path values take them from REQUESTS and PARAMS; each
is built for the target site (own or other), so a site rule is checked on real data. A
PARAMS entry named "METHOD endpoint arg" overrides the one named "arg" for that endpoint
(a transfer is named by its sender for cancel, by its receiver for receive).
"Other site" objects live at sites the test users cannot see; transfers go between the
target site and a third site (TREDJE, another municipality) nobody in the matrix sees.
The login form's rate limit is reset for every test (successful logins do not count).
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, url_for

from tests.factories import (
    PASSWORD,
    login,
    make_item,
    make_lot,
    make_site,
    make_token,
    make_user,
    tally_body,
)
from tracker import config, create_app
from tracker.dates import today
from tracker.extensions import db, limiter
from tracker.models import ApiToken, Site
from tracker.models.auth import ROLE_RANK
from tracker.models.counts import Discrepancy
from tracker.services import (
    alerts,
    counts,
    naloxone,
    overdoses,
    stock,
    submissions,
    tallies,
    training,
    transfers,
    users,
)
from tracker.services.access import Actor

RULES: dict[str, str] = {
    "GET web.home": "public",
    "GET web.static": "public",
    "GET web.accessibility": "public",
    "GET web.favicon": "public",
    "GET health.healthz": "public",
    "GET health.readyz": "public",
    "GET api-docs.openapi_json": "public",
    "GET web_offline.service_worker": "public",
    "GET web_offline.manifest": "public",
    "GET web_offline.shell": "public",  # the app shell: no user data (the worker caches it)
    "GET web_offline.data": "authenticated",  # the user's own sites only (test_offline.py)
    "GET web_offline.token": "authenticated",
    "GET sites.Sites": "authenticated",
    "POST sites.Sites": "global:coordinator",
    "GET sites.SiteByCode": "site:staff",
    "PATCH sites.SiteByCode": "site:coordinator",
    "PUT sites.SiteItemLevels": "site:lead",
    "PATCH sites.SiteItem": "site:lead",
    "PUT sites.SiteItem": "site:lead",
    "GET sites.SiteItems": "site:staff",
    "GET sites.SiteItem": "site:staff",
    "GET items.Items": "authenticated",
    # The catalogue is national (invariant 11): only admins add, change or retire items.
    "POST items.Items": "admin",
    "GET items.ItemByCode": "authenticated",
    "PATCH items.ItemByCode": "admin",
    # Kits' contents and the categories are catalogue too (invariant 11): admin only.
    "PUT items.KitContents": "admin",
    "GET categories.Categories": "authenticated",
    "POST categories.Categories": "admin",
    "GET categories.CategoryByCode": "authenticated",
    "PATCH categories.CategoryByCode": "admin",
    "POST stock.Receipts": "site:staff",
    "GET stock.Movements": "site:staff",
    "GET stock.Stock": "site:staff",
    "GET tallies.Tallies": "site:staff",
    "POST tallies.Tallies": "site:staff",
    "GET tallies.TallyById": "site:staff",
    "PATCH tallies.TallyById": "site:staff",
    "DELETE tallies.TallyById": "site:staff",
    "GET naloxone.Handouts": "site:staff",
    "POST naloxone.Handouts": "site:staff",
    # Overdoses, referrals, returns, contacts by group (issue 24): staff at their own sites.
    "GET overdoses.Events": "site:staff",
    "POST overdoses.Events": "site:staff",
    "GET overdoses.EventById": "site:staff",
    "PATCH overdoses.EventById": "site:staff",
    "DELETE overdoses.EventById": "site:staff",
    "GET referrals.Referrals": "site:staff",
    "POST referrals.Referrals": "site:staff",
    "GET returns.Returns": "site:staff",
    "POST returns.Returns": "site:staff",
    "GET contact_groups.Groups": "site:staff",
    "POST contact_groups.Groups": "site:staff",
    "GET reports.Events": "site:lead",
    "GET web_overdoses.events": "site:staff",
    "POST web_overdoses.events": "site:staff",
    "GET web_overdoses.events_here": "authenticated",
    "GET web_overdoses.edit": "site:staff",
    "POST web_overdoses.edit": "site:staff",
    "POST web_overdoses.delete": "site:staff",
    "GET web_day_counts.counts": "site:staff",
    "POST web_day_counts.counts": "site:staff",
    "GET web_day_counts.counts_here": "authenticated",
    "GET naloxone.HandoutById": "site:staff/hidden",
    "PATCH naloxone.HandoutById": "site:staff/hidden",
    "DELETE naloxone.HandoutById": "site:staff/hidden",
    "GET audit.AuditEvents": "global:coordinator",
    "GET web_audit.index": "global:coordinator",
    "GET imports.Imports": "global:coordinator",
    "GET reports.Distribution": "site:lead",
    "GET reports.DistributionCsv": "site:lead",
    "GET reports.Naloxone": "site:lead",
    "GET exports.Summary": "site:lead",
    "GET web_reports.index": "site:lead",
    "GET web_reports.download": "site:lead",
    # Submissions: coordinators (their municipality) and admins submit and reopen; leads see
    # those of their sites (a submission of a site they cannot lead: 404).
    "GET submissions.Submissions": "site:lead",
    "POST submissions.Submissions": "site:coordinator",
    "GET submissions.SubmissionById": "site:lead/hidden",
    "GET submissions.SubmissionWorkbook": "site:lead/hidden",
    "POST submissions.Reopen": "site:coordinator/hidden",
    "GET web_submissions.index": "site:lead",
    "POST web_submissions.create": "site:coordinator",
    "GET web_submissions.detail": "site:lead/hidden",
    "GET web_submissions.download": "site:lead/hidden",
    "POST web_submissions.reopen": "site:coordinator/hidden",
    "POST imports.Imports": "global:coordinator",
    "GET imports.export_csv": "global:coordinator",
    "GET imports.template_csv": "global:coordinator",
    "GET imports.template_xlsx": "global:coordinator",
    "GET web_imports.index": "global:coordinator",
    "POST web_imports.check": "global:coordinator",
    "POST web_imports.confirm": "global:coordinator",
    "GET web_imports.template": "global:coordinator",
    "GET web_imports.export": "global:coordinator",
    # Pages: logging in and out, the account, the language, the site picker.
    "GET auth.login": "public",
    "POST auth.login": "public",
    "GET auth.logout": "authenticated",
    "POST auth.logout": "public",
    "GET auth.account": "authenticated",
    "POST auth.account": "authenticated",
    "POST auth.logout_everywhere": "authenticated",
    "POST auth.language": "public",
    # API tokens: everyone lists their own (an admin all); another user's token is 404
    # unless you are admin (the matrix names a bystander's token).
    "GET tokens.Tokens": "authenticated",
    "DELETE tokens.TokenById": "admin/hidden",
    "POST auth.revoke_token": "admin/hidden",
    "POST auth.create_token": "authenticated",
    "POST web.pick_site": "site:staff",
    # Per-site pages; the "*_here" ones redirect to the remembered site (or the picker).
    "GET web_tallies.entry": "site:staff",
    "POST web_tallies.entry": "site:staff",
    "GET web_tallies.entry_here": "authenticated",
    "GET web_tallies.history": "site:staff",
    "GET web_tallies.history_here": "authenticated",
    "GET web_tallies.edit": "site:staff",
    "POST web_tallies.edit": "site:staff",
    "POST web_tallies.delete": "site:staff",
    "GET web_naloxone.handout": "site:staff",
    "POST web_naloxone.handout": "site:staff",
    "GET web_naloxone.handout_here": "authenticated",
    "GET web_naloxone.edit": "site:staff/hidden",
    "POST web_naloxone.edit": "site:staff/hidden",
    "POST web_naloxone.delete": "site:staff/hidden",
    "GET web_stock.site_stock": "site:staff",
    "GET web_stock.site_stock_here": "authenticated",
    "GET web_stock.receive": "site:staff",
    "POST web_stock.receive": "site:staff",
    "GET web_stock.receive_here": "authenticated",
    # Accounts: coordinators list and create site accounts (a site they do not see is not
    # offered by the form: 422); a coordinator deactivates, activates, logs out and makes
    # password links for the accounts of their municipality's sites (the bystander is staff
    # at the target site), an admin for anyone.
    "GET web_users.index": "global:coordinator",
    "POST web_users.index": "global:coordinator",
    "POST web_users.deactivate": "site:coordinator",
    "POST web_users.activate": "site:coordinator",
    "POST web_users.end_sessions": "site:coordinator",
    "POST web_users.reset_link": "site:coordinator",
    "GET web_users.edit": "site:coordinator",
    "POST web_users.edit": "site:coordinator",
    "GET users.Users": "global:coordinator",
    "POST users.Users": "site:coordinator",
    "GET users.UserById": "site:coordinator",
    "PATCH users.UserById": "site:coordinator",
    "POST users.PasswordReset": "site:coordinator",
    # The page behind a one-time password link needs no login (the link is the key).
    "GET auth.reset_password": "public",
    "POST auth.reset_password": "public",
    # Training: staff read their sites; recording and correcting needs the site's lead.
    "GET training.Sessions": "site:staff",
    "POST training.Sessions": "site:lead",
    "GET training.SessionById": "site:staff",
    "PATCH training.SessionById": "site:lead",
    "GET training.Certifications": "site:staff",
    "GET training.Summary": "site:staff",
    "GET web_training.sessions": "site:staff",
    "GET web_training.overview": "site:staff",
    "GET web_training.register": "site:lead",
    "POST web_training.register": "site:lead",
    "GET web_training.edit": "site:lead",
    "POST web_training.edit": "site:lead",
    # Transfers: seen by whoever sees the sender or the receiver (others: 404); shipped and
    # cancelled by the sender's lead, received by the receiver's lead.
    "GET transfers.Transfers": "site:staff",
    "POST transfers.Transfers": "site:lead",
    "GET transfers.TransferById": "site:staff/hidden",
    "POST transfers.Receive": "site:lead/hidden",
    "POST transfers.Cancel": "site:lead/hidden",
    "GET web_transfers.index": "authenticated",
    "GET web_transfers.new": "authenticated",
    "POST web_transfers.new": "site:lead",
    "GET web_transfers.receive": "site:staff/hidden",
    "POST web_transfers.receive": "site:lead/hidden",
    "POST web_transfers.cancel": "site:lead/hidden",
    # Stock counts: staff see them (another site's count: 404), the lead opens, counts, closes.
    "GET counts.Counts": "site:staff",
    "POST counts.Counts": "site:lead",
    "GET counts.CountById": "site:staff/hidden",
    "PUT counts.CountLines": "site:lead/hidden",
    "POST counts.Close": "site:lead/hidden",
    "GET web_counts.index": "authenticated",
    "POST web_counts.open_count": "site:lead",
    "GET web_counts.sheet": "site:staff/hidden",
    "POST web_counts.sheet": "site:lead/hidden",
    "POST web_counts.close": "site:lead/hidden",
    # Discards by the lead; discrepancies seen by staff, resolved by the lead.
    "POST discards.Discards": "site:lead",
    # Issue 24, supply: unmet demand (staff at the site), delivery days (staff see, the lead
    # changes), drug alerts (anyone lists those of their sites; a coordinator of the
    # municipality or an admin posts and ends; another area's alert is not there: 404).
    "GET unmet_demand.UnmetDemand": "site:staff",
    "POST unmet_demand.UnmetDemand": "site:staff",
    "GET unmet_demand.Summary": "site:lead",
    "GET web_unmet_demand.index": "site:staff",
    "POST web_unmet_demand.record": "site:staff",
    "GET deliveries.Deliveries": "site:staff",
    "PUT deliveries.Deliveries": "site:lead",
    "GET web_deliveries.edit": "site:staff",
    "POST web_deliveries.edit": "site:lead",
    "GET alerts.Alerts": "authenticated",
    "POST alerts.Alerts": "site:coordinator",
    "POST alerts.End": "site:coordinator/hidden",
    "GET web_alerts.index": "global:coordinator",
    "POST web_alerts.index": "site:coordinator",
    "POST web_alerts.end": "site:coordinator/hidden",
    "GET web_discards.new": "authenticated",
    "POST web_discards.new": "site:lead",
    "GET discrepancies.Discrepancies": "site:staff",
    "POST discrepancies.Resolve": "site:lead/hidden",
    "GET web_discrepancies.index": "authenticated",
    "POST web_discrepancies.resolve": "site:lead/hidden",
    # Reorder list and expiring lots: staff of the site (no site: all the sites they see).
    # Municipalities: admins add and rename; a coordinator reads their own (the matrix's
    # coordinator is of the own site's municipality).
    "GET municipalities.Municipalities": "global:coordinator",
    "POST municipalities.Municipalities": "admin",
    "GET municipalities.MunicipalityByNumber": "site:coordinator",
    "PATCH municipalities.MunicipalityByNumber": "admin",
    "GET web_municipalities.index": "admin",
    "POST web_municipalities.index": "admin",
    "POST web_municipalities.rename": "admin",
    # Site pages: coordinators list and create (a municipality not theirs is not offered:
    # 422) and change their municipality's sites; staff see a site's levels, leads set them.
    "GET web_catalog.index": "admin",
    "POST web_catalog.index": "admin",
    "GET web_catalog.edit": "admin",
    "POST web_catalog.edit": "admin",
    "POST web_catalog.contents": "admin",
    "GET web_catalog.category_index": "admin",
    "POST web_catalog.category_index": "admin",
    "GET web_catalog.category_edit": "admin",
    "POST web_catalog.category_edit": "admin",
    "GET web_sites.index": "global:coordinator",
    "POST web_sites.index": "global:coordinator",
    "GET web_sites.edit": "site:coordinator",
    "POST web_sites.edit": "site:coordinator",
    "GET web_sites.levels": "site:staff",
    "GET web_sites.items": "site:staff",
    "POST web_sites.items": "site:lead",
    "GET web_sites.opening": "site:staff",
    "POST web_sites.opening": "site:lead",
    "POST web_sites.levels": "site:lead",
    "GET web_sites.levels_here": "authenticated",
    "GET reorder.Reorder": "site:staff",
    "GET reorder.Expiring": "site:staff",
    "GET reorder.ReorderWorkbook": "site:staff",
    "GET web_reorder.index": "site:staff",
    "GET web_reorder.workbook": "site:staff",
    # Stock history (issue 21): the stock card and a figure's sources are for the site's own
    # people (staff included); coordinators see their municipality's sites.
    "GET reports.StockMovements": "site:staff",
    "GET reports.Sources": "site:staff",
    "GET web_reports.sources": "site:staff",
    "GET web_stock_history.movements": "site:staff",
    "GET web_stock_history.movements_xlsx": "site:staff",
    "POST web_stock_history.set_stock_start": "site:lead",
}


@dataclass
class Target:
    """The site a request is aimed at, and the objects the request may name."""

    site: Site
    own: bool
    ids: dict[str, Any] = field(default_factory=dict)


def _day() -> str:
    return today().isoformat()


THIRD = "TREDJE"  # the other end of every transfer; no user in the matrix sees it
_SEQ = itertools.count(1)


# Per "METHOD endpoint": a function of the target returning {"json": ..., "query": ...}
# (pages' forms: {"data": {...}}).
REQUESTS: dict[str, Callable[[Target], dict[str, Any]]] = {
    "POST sites.Sites": lambda t: {
        "json": {
            "code": f"NY-{t.site.code}",
            "name": "Nytt",
            "municipality": "0301",
            "kind": "annet",
        }
    },
    "GET sites.Sites": lambda t: {},
    "PATCH sites.SiteByCode": lambda t: {"json": {"name": "Nytt navn"}},
    "PUT sites.SiteItemLevels": lambda t: {"json": {"reorder_level": 5, "target_level": 10}},
    "PATCH sites.SiteItem": lambda t: {"json": {"active": False}},
    "PUT sites.SiteItem": lambda t: {"json": {"active": True, "reorder_level": 2}},
    "POST items.Items": lambda t: {
        "json": {
            "code": f"NY-{t.site.code}",
            "name_nb": "Ny",
            "name_en": "New",
            "category": "other",
        }
    },
    "PATCH items.ItemByCode": lambda t: {"json": {"name_nb": "Sprøyte"}},
    "PUT items.KitContents": lambda t: {"json": {"contents": []}},
    "POST categories.Categories": lambda t: {
        "json": {"code": f"kat{next(_SEQ)}", "name_nb": "Kondomer", "name_en": "Condoms"}
    },
    "PATCH categories.CategoryByCode": lambda t: {"json": {"name_nb": "Kondomer"}},
    "POST stock.Receipts": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "lines": [{"item": "SPR", "quantity": 5}]}
    },
    "GET stock.Movements": lambda t: {"query": {"site": t.site.code}},
    "GET stock.Stock": lambda t: {"query": {"site": t.site.code}},
    "GET reports.StockMovements": lambda t: {
        "query": {"site": t.site.code, "from": _day(), "to": _day()}
    },
    "GET reports.Sources": lambda t: {"query": {"site": t.site.code, "from": _day(), "to": _day()}},
    "GET web_reports.sources": lambda t: {
        "query": {"sted": t.site.code, "fra": _day(), "til": _day()}
    },
    "POST web_stock_history.set_stock_start": lambda t: {"data": {"stock_start": _day()}},
    "GET tallies.Tallies": lambda t: {"query": {"site": t.site.code}},
    "POST tallies.Tallies": lambda t: {"json": tally_body(t.site, {"SPR": 2})},
    "PATCH tallies.TallyById": lambda t: {"json": {"contacts": 3}},
    "GET naloxone.Handouts": lambda t: {"query": {"site": t.site.code}},
    "POST naloxone.Handouts": lambda t: {
        "json": {
            "site": t.site.code,
            "date": _day(),
            "quantity": 1,
            "item": "NAL",
            "lot": "L1",
            "recipient_group": "pwud",
            "first_time": True,
            "training_given": True,
        }
    },
    "GET overdoses.Events": lambda t: {"query": {"site": t.site.code}},
    "POST overdoses.Events": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "place": "at_site", "outcome": "unknown"}
    },
    "PATCH overdoses.EventById": lambda t: {"json": {"place": "outreach"}},
    "GET referrals.Referrals": lambda t: {"query": {"site": t.site.code}},
    "POST referrals.Referrals": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "to": "nav", "count": 1}
    },
    "GET returns.Returns": lambda t: {"query": {"site": t.site.code}},
    "POST returns.Returns": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "kind": "pieces", "count": 3}
    },
    "GET contact_groups.Groups": lambda t: {"query": {"site": t.site.code}},
    "POST contact_groups.Groups": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "women": 1, "men": 2}
    },
    "GET reports.Events": lambda t: _report_query(t),
    "POST web_overdoses.events": lambda t: {
        "data": {
            "event_date": _day(),
            "place": "at_site",
            "naloxone_doses": "0",
            "outcome": "unknown",
            "form_key": uuid.uuid4().hex,
        }
    },
    "POST web_overdoses.edit": lambda t: {
        "data": {
            "event_date": _day(),
            "place": "outreach",
            "naloxone_doses": "0",
            "outcome": "unknown",
            "form_key": uuid.uuid4().hex,
        }
    },
    "POST web_overdoses.delete": lambda t: {"data": {"form_key": uuid.uuid4().hex}},
    "POST web_day_counts.counts": lambda t: {
        "data": {"count_date": _day(), "ref_nav": "1", "form_key": uuid.uuid4().hex}
    },
    "GET audit.AuditEvents": lambda t: {"query": {"site": t.site.code}},
    "GET web_audit.index": lambda t: {"query": {"site": t.site.code}},
    "GET reports.Distribution": lambda t: _report_query(t),
    "GET reports.DistributionCsv": lambda t: _report_query(t),
    "GET reports.Naloxone": lambda t: _report_query(t),
    "GET exports.Summary": lambda t: _report_query(t),
    "GET web_reports.index": lambda t: {"query": _report_page_query(t)},
    "GET web_reports.download": lambda t: {"query": _report_page_query(t)},
    "GET submissions.Submissions": lambda t: {"query": {"site": t.site.code}},
    "POST submissions.Submissions": lambda t: {"json": {"site": [t.site.code], **_earlier()}},
    "POST submissions.Reopen": lambda t: {"json": {"reason": "Sen papirlapp"}},
    "GET web_submissions.index": lambda t: {"query": {"sted": t.site.code}},
    "POST web_submissions.create": lambda t: {
        "data": {"sted": t.site.code, "fra": _earlier()["from"], "til": _earlier()["to"]}
    },
    "POST web_submissions.reopen": lambda t: {"data": {"grunn": "Sen papirlapp"}},
    "POST imports.Imports": lambda t: {"data": {"file": _import_file(t), "dry_run": "true"}},
    "GET imports.export_csv": lambda t: {"query": {"site": t.site.code}},
    "POST web_imports.check": lambda t: {"data": {"file": _import_file(t)}},
    "POST web_imports.confirm": lambda t: {
        "data": {"check": "not.a.check", "file": _import_file(t)}
    },
    "GET web_imports.export": lambda t: {
        "query": {"fra": _day(), "til": _day(), "sted": t.site.code}
    },
    # Pages' forms.
    "POST auth.login": lambda t: {
        "data": {"email": t.ids["bystander_email"], "password": PASSWORD}
    },
    "POST auth.logout": lambda t: {"data": {}},
    "POST auth.account": lambda t: {  # a wrong current password: checked, nothing changes
        "data": {
            "current": "not the password",
            "new": "a new password 1",
            "confirm": "a new password 1",
        }
    },
    "POST auth.logout_everywhere": lambda t: {"data": {}},
    "POST auth.revoke_token": lambda t: {"data": {}},
    "POST auth.create_token": lambda t: {"data": {"name": "matrix"}},
    "POST auth.language": lambda t: {"data": {"lang": "en"}},
    "POST web.pick_site": lambda t: {
        "data": {"site": t.site.code, "neste": "web_stock.site_stock"}
    },
    "POST web_tallies.entry": lambda t: {
        "data": {
            "entry_date": _day(),
            "contacts": "2",
            f"item_{t.ids['SPR']}": "1",
            "form_key": uuid.uuid4().hex,
        }
    },
    "POST web_tallies.edit": lambda t: {
        "data": {
            "entry_date": _day(),
            "contacts": "3",
            f"item_{t.ids['SPR']}": "1",
            "form_key": uuid.uuid4().hex,
        }
    },
    "POST web_tallies.delete": lambda t: {"data": {"form_key": uuid.uuid4().hex}},
    "POST web_naloxone.handout": lambda t: {
        "data": {
            "handed_out_on": _day(),
            "quantity": "1",
            "recipient_group": "pwud",
            "first_time": "yes",
            "training_given": "y",
            "lot": "L1",
            "form_key": uuid.uuid4().hex,
        }
    },
    "PATCH naloxone.HandoutById": lambda t: {"json": {"quantity": 2}},
    "POST web_naloxone.edit": lambda t: {
        "data": {
            "handed_out_on": _day(),
            "quantity": "2",
            "recipient_group": "pwud",
            "first_time": "yes",
            "form_key": uuid.uuid4().hex,
        }
    },
    "POST web_naloxone.delete": lambda t: {"data": {"form_key": uuid.uuid4().hex}},
    "POST web_stock.receive": lambda t: {
        "data": {"received_on": _day(), f"item_{t.ids['SPR']}": "5", "form_key": uuid.uuid4().hex}
    },
    "POST web_users.index": lambda t: {
        "data": {
            "name": "Ny Ansatt",
            "email": f"ny{next(_SEQ)}@test.no",
            "role": "staff",
            "site": t.site.code,
            "password": PASSWORD,
        }
    },
    "POST web_users.deactivate": lambda t: {"data": {}},
    "POST web_users.reset_link": lambda t: {"data": {}},
    "POST web_users.edit": lambda t: {
        "data": {"name": "Nytt Navn", "global_role": "", f"site_{t.site.code}": "staff"}
    },
    "POST users.Users": lambda t: {
        "json": {
            "email": f"api{next(_SEQ)}@test.no",
            "name": "Ny Ansatt",
            "password": PASSWORD,
            "role": "staff",
            "sites": [t.site.code],
        }
    },
    "PATCH users.UserById": lambda t: {"json": {"name": "Nytt Navn"}},
    "POST users.PasswordReset": lambda t: {"json": {}},
    "POST auth.reset_password": lambda t: {
        "data": {"new": "a new password 1", "confirm": "a new password 1"}
    },
    "POST web_users.activate": lambda t: {"data": {}},
    "POST web_users.end_sessions": lambda t: {"data": {}},
    # Training.
    "GET training.Sessions": lambda t: {"query": {"site": t.site.code}},
    "POST training.Sessions": lambda t: {
        "json": {
            "site": t.site.code,
            "date": _day(),
            "type": "naloxone",
            "participants": {"pwud": 3},
        }
    },
    "PATCH training.SessionById": lambda t: {"json": {"participants": {"pwud": 5}}},
    "GET training.Certifications": lambda t: {"query": {"site": t.site.code}},
    "GET training.Summary": lambda t: {
        "query": {"site": t.site.code, "from": _day(), "to": _day()}
    },
    "GET web_training.sessions": lambda t: {"query": {"sted": t.site.code}},
    "GET web_training.overview": lambda t: {"query": {"sted": t.site.code}},
    "GET web_training.register": lambda t: {"query": {"sted": t.site.code}},
    "POST web_training.register": lambda t: {
        "query": {"sted": t.site.code},
        "data": {"held_on": _day(), "training_type": "naloxone", "pwud": "3"},
    },
    "POST web_training.edit": lambda t: {
        "data": {"held_on": _day(), "training_type": "naloxone", "pwud": "5"}
    },
    # Transfers.
    "GET transfers.Transfers": lambda t: {"query": {"site": t.site.code}},
    "POST transfers.Transfers": lambda t: {
        "json": {
            "from": t.site.code,
            "to": THIRD,
            "date": _day(),
            "lines": [{"item": "SPR", "quantity": 1}],
        }
    },
    "POST transfers.Receive": lambda t: {"json": {"date": _day()}},
    "POST transfers.Cancel": lambda t: {"json": {"reason": "Feil sted"}},
    "POST web_transfers.new": lambda t: {
        "data": {
            "from_site": t.site.code,
            "to_site": THIRD,
            "date": _day(),
            "lines-0-item": "SPR",
            "lines-0-quantity": "1",
            "form_key": uuid.uuid4().hex,
        }
    },
    "POST web_transfers.receive": lambda t: {
        "data": {"date": _day(), f"received-{t.ids['incoming_line']}": "1"}
    },
    "POST web_transfers.cancel": lambda t: {"data": {"reason": "Feil sted"}},
    # Counts, discards, discrepancies, reorder.
    "GET counts.Counts": lambda t: {"query": {"site": t.site.code}},
    "POST counts.Counts": lambda t: {"json": {"site": t.site.code}},
    "PUT counts.CountLines": lambda t: {"json": {"lines": [{"item": "SPR", "quantity": 3}]}},
    "POST counts.Close": lambda t: {"json": {}},
    "POST web_counts.open_count": lambda t: {"data": {"site": t.site.code}},
    "POST web_counts.sheet": lambda t: {"data": {"q|SPR|": "3"}},
    "POST web_counts.close": lambda t: {"data": {}},
    "GET unmet_demand.UnmetDemand": lambda t: {"query": {"site": t.site.code}},
    "POST unmet_demand.UnmetDemand": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "item": "SPR", "quantity": 2}
    },
    "GET unmet_demand.Summary": lambda t: {
        "query": {"site": t.site.code, "from": _day(), "to": _day()}
    },
    "POST web_unmet_demand.record": lambda t: {
        "data": {"date": _day(), "item": "SPR", "quantity": "2", "form_key": uuid.uuid4().hex}
    },
    "PUT deliveries.Deliveries": lambda t: {"json": {"weekdays": [2, 5], "lead_time_days": 1}},
    "POST web_deliveries.edit": lambda t: {"data": {"day_2": "y", "lead_time_days": "1"}},
    "POST alerts.Alerts": lambda t: {
        "json": {
            "title": "Varsel",
            "text": "Farlig stoff i omløp.",
            "severity": "warning",
            "municipality": t.site.municipality.number,
        }
    },
    "POST alerts.End": lambda t: {"json": {}},
    "POST web_alerts.index": lambda t: {
        "data": {
            "title": "Varsel",
            "text": "Farlig stoff i omløp.",
            "severity": "warning",
            "municipality": t.site.municipality.number,
        }
    },
    "POST web_alerts.end": lambda t: {"data": {}},
    "POST discards.Discards": lambda t: {
        "json": {
            "site": t.site.code,
            "date": _day(),
            "item": "SPR",
            "quantity": 1,
            "reason": "damaged",
        }
    },
    "POST web_discards.new": lambda t: {
        "data": {
            "site": t.site.code,
            "date": _day(),
            "item": "SPR",
            "quantity": "1",
            "reason": "damaged",
        }
    },
    "GET discrepancies.Discrepancies": lambda t: {"query": {"site": t.site.code}},
    "POST discrepancies.Resolve": lambda t: {"json": {"note": "Telt opp igjen"}},
    "POST web_discrepancies.resolve": lambda t: {"data": {"note": "Telt opp igjen"}},
    "POST municipalities.Municipalities": lambda t: {
        "json": {"number": f"{next(_SEQ) % 10000:04d}", "name": "Ny kommune"}
    },
    "PATCH municipalities.MunicipalityByNumber": lambda t: {"json": {"name": "Nytt navn"}},
    "POST web_municipalities.index": lambda t: {
        "data": {"number": f"{next(_SEQ) % 10000:04d}", "name": "Ny kommune"}
    },
    "POST web_municipalities.rename": lambda t: {"data": {"name": "Nytt navn"}},
    "POST web_sites.index": lambda t: {
        "data": {
            "code": f"NY{next(_SEQ)}",
            "name": "Nytt sted",
            "municipality": t.site.municipality.number,
            "kind": "annet",
        }
    },
    "POST web_sites.edit": lambda t: {
        "data": {"name": "Nytt navn", "kind": "annet", "active": "y"}
    },
    "POST web_sites.levels": lambda t: {"data": {"reorder_SPR": "5", "target_SPR": "10"}},
    "POST web_sites.items": lambda t: {"data": {"item": "SPR", "active": "0"}},
    "POST web_sites.opening": lambda t: {"data": {"day_1": "y", "day_3": "y"}},
    "POST web_catalog.index": lambda t: {
        "data": {
            "code": f"NY{next(_SEQ)}",
            "name_nb": "Ny",
            "name_en": "New",
            "category": "other",
            "unit": "stk",
        }
    },
    "POST web_catalog.edit": lambda t: {
        "data": {
            "name_nb": "Sprøyte",
            "name_en": "Syringe",
            "category": "syringe",
            "unit": "stk",
            "active": "y",
        }
    },
    "POST web_catalog.contents": lambda t: {"data": {"q_NAL": ""}},
    "POST web_catalog.category_index": lambda t: {
        "data": {"code": f"kat{next(_SEQ)}", "name_nb": "Kondomer", "name_en": "Condoms"}
    },
    "POST web_catalog.category_edit": lambda t: {
        "data": {"name_nb": "Kondomer", "name_en": "Condoms"}
    },
    "GET reorder.Reorder": lambda t: {"query": {"site": t.site.code}},
    "GET reorder.Expiring": lambda t: {"query": {"site": t.site.code}},
    "GET reorder.ReorderWorkbook": lambda t: {"query": {"site": t.site.code}},
    "GET web_reorder.index": lambda t: {"query": {"sted": t.site.code}},
    "GET web_reorder.workbook": lambda t: {"query": {"sted": t.site.code}},
}


# URL arguments by name, for the target site.
def _report_query(t: Target) -> dict[str, Any]:
    return {"query": {"from": _day(), "to": _day(), "site": t.site.code}}


def _last_month() -> tuple[date, date]:
    end = today().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _earlier() -> dict[str, str]:
    """The month before last: a period no submission of the world covers yet."""
    start, _ = _last_month()
    end = start - timedelta(days=1)
    return {"from": end.replace(day=1).isoformat(), "to": end.isoformat()}


def _report_page_query(t: Target) -> dict[str, str]:
    return {"periode": "custom", "fra": _day(), "til": _day(), "sted": t.site.code}


def _import_file(t: Target) -> tuple[io.BytesIO, str]:
    """A one-row distribution file in the import format, for the target site."""
    text = f"sted;dato;vare;antall\n{t.site.code};{today():%d.%m.%Y};SPR;3\n"
    return io.BytesIO(text.encode()), "historikk.csv"


PARAMS: dict[str, Callable[[Target], Any]] = {
    "kind": lambda t: "csv",
    "number": lambda t: t.site.municipality.number,
    "GET web_catalog.edit code": lambda t: "SPR",
    "POST web_catalog.edit code": lambda t: "SPR",
    "POST web_catalog.contents code": lambda t: "SPR",
    "PUT items.KitContents code": lambda t: "SPR",
    "GET categories.CategoryByCode code": lambda t: "syringe",
    "PATCH categories.CategoryByCode code": lambda t: "syringe",
    "GET web_catalog.category_edit code": lambda t: "syringe",
    "POST web_catalog.category_edit code": lambda t: "syringe",
    "token": lambda t: "not-a-link-" + "x" * 32,
    "code": lambda t: t.site.code,
    "item": lambda t: "SPR",
    "tally_id": lambda t: t.ids["tally"],
    "event_id": lambda t: t.ids["overdose"],
    "handout_id": lambda t: t.ids["handout"],
    "filename": lambda t: "app.css",
    "user_id": lambda t: t.ids["bystander"],
    "token_id": lambda t: t.ids["bystander_token"],
    "session_id": lambda t: t.ids["training"],
    "count_id": lambda t: t.ids["count"],
    "discrepancy_id": lambda t: t.ids["discrepancy"],
    "alert_id": lambda t: t.ids["alert"],
    "submission_id": lambda t: t.ids["submission"],
    # A transfer the target site sent (to TREDJE), or for receiving one it is sent.
    "transfer_id": lambda t: t.ids["outgoing"],
    "POST transfers.Receive transfer_id": lambda t: t.ids["incoming"],
    "GET web_transfers.receive transfer_id": lambda t: t.ids["incoming"],
    "POST web_transfers.receive transfer_id": lambda t: t.ids["incoming"],
}

# Logging out ends at the login page: there, a redirect to it (without `next`) is success.
LOGIN_IS_SUCCESS = {"POST auth.logout", "POST auth.logout_everywhere"}

# The services' refusals (Forbidden, NotFound), as pages flash them.
REFUSAL = re.compile(
    r"^(Du har ikke tilgang|Dette krever rollen|Det finnes (ingen|ikke noe) \w+ \d+\.)"
)

ROLES = ("anonymous", "revoked", "deactivated", "staff", "lead", "coordinator", "admin")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def expected_allowed(rule: str, role: str, own: bool) -> bool:
    rule = rule.removesuffix("/hidden")
    if rule == "public":
        return True
    if role in ("anonymous", "revoked", "deactivated"):
        return False
    if rule == "authenticated":
        return True
    if rule == "admin":
        return role == "admin"
    scope, _, need = rule.partition(":")
    if scope == "global":
        return role in ("coordinator", "admin") and ROLE_RANK[role] >= ROLE_RANK[need]
    if scope == "site":
        if role == "admin":
            return True
        return own and ROLE_RANK[role] >= ROLE_RANK[need]
    raise AssertionError(f"unknown rule {rule!r}")


def _url_map_keys(app: Flask) -> dict[str, Any]:
    keys = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            keys[f"{method} {rule.endpoint}"] = rule
    return keys


_COLLECTION_APP = create_app(config.TestConfig("sqlite:///:memory:"))
ENDPOINTS = sorted(_url_map_keys(_COLLECTION_APP))


def test_every_endpoint_has_a_rule():
    missing = [key for key in ENDPOINTS if key not in RULES]
    assert not missing, f"Add an access rule to RULES for: {missing}"


def test_every_rule_names_an_endpoint():
    stale = [key for key in RULES if key not in ENDPOINTS]
    assert not stale, f"RULES names endpoints that no longer exist: {stale}"


def test_the_rule_table_means_what_it_says():
    assert expected_allowed("site:staff", "staff", own=True)
    assert not expected_allowed("site:staff", "staff", own=False)
    assert not expected_allowed("site:lead", "staff", own=True)
    assert expected_allowed("site:lead", "coordinator", own=True)
    assert not expected_allowed("site:lead", "coordinator", own=False)
    assert expected_allowed("site:coordinator", "admin", own=False)
    assert not expected_allowed("global:coordinator", "lead", own=True)
    assert not expected_allowed("authenticated", "revoked", own=True)
    assert expected_allowed("public", "anonymous", own=False)
    assert expected_allowed("site:lead/hidden", "lead", own=True)
    assert not expected_allowed("site:staff/hidden", "coordinator", own=False)


class World:
    """Two sites in two municipalities, one user per role at the first, data at both."""

    def __init__(self, client):
        self.client = client
        limiter.reset()
        self.own = make_site("EGEN", municipality="0301")
        self.other = make_site("ANNEN", municipality="4601")
        third = make_site(THIRD, municipality="5001")
        self.spr = make_item("SPR")
        nal = make_item("NAL", category="naloxone")
        make_lot(nal, "L1")
        self.users = {
            "staff": make_user("staff", [self.own]),
            "lead": make_user("lead", [self.own]),
            "coordinator": make_user("coordinator", municipality="0301"),
            "admin": make_user("admin"),
            "revoked": make_user("admin"),
            "deactivated": make_user("admin"),
        }
        self.tokens = {role: make_token(user) for role, user in self.users.items()}
        boss = Actor(self.users["admin"])
        self.tallies = {
            site.code: tallies.create_tally(
                boss, site_code=site.code, entry_date=today(), contacts=1, lines=[_line()]
            ).id
            for site in (self.own, self.other)
        }
        self.ids: dict[str, dict[str, Any]] = {}
        for site in (self.own, self.other):
            self.ids[site.code] = self._objects(boss, site, third)
        token = db.session.query(ApiToken).filter_by(user_id=self.users["revoked"].id).one()
        users.revoke_token(Actor(self.users["revoked"]), token.id)
        users.set_active(boss, self.users["deactivated"].email, False)

    def _objects(self, boss: Actor, site: Site, third: Site) -> dict[str, Any]:
        """The objects a request may name at this site, made by an admin."""
        bystander = make_user("staff", [site])
        for at in (site, third):
            stock.receive(
                boss,
                site_code=at.code,
                received_on=today(),
                lines=[
                    {"item": "SPR", "quantity": 50},
                    {"item": "NAL", "lot": "L1", "quantity": 5},
                ],
            )
        line = [{"item": "SPR", "quantity": 2}]
        outgoing = transfers.ship(
            boss, from_code=site.code, to_code=third.code, shipped_on=today(), lines=line
        )
        incoming = transfers.ship(
            boss, from_code=third.code, to_code=site.code, shipped_on=today(), lines=line
        )
        session = training.record_session(
            boss,
            site_code=site.code,
            held_on=today(),
            training_type="naloxone",
            counts={"pwud": 2},
        )
        handout = naloxone.hand_out(
            boss,
            site_code=site.code,
            handed_out_on=today(),
            quantity=1,
            recipient_group="pwud",
            first_time=True,
            training_given=False,
        )
        count = counts.open_count(boss, site_code=site.code)
        counts.set_lines(boss, count.id, [{"item": "SPR", "quantity": 40}])  # ready to close
        discrepancy = Discrepancy(
            site=site, item=self.spr, kind="negative_balance", quantity=-1, detected_on=today()
        )
        db.session.add(discrepancy)
        db.session.commit()
        alert = alerts.post(
            boss,
            title="Varsel",
            text="Farlig stoff i omløp.",
            severity="warning",
            municipality=site.municipality.number,
        )
        site.contacts_by_group = True
        event = overdoses.record(
            boss, site_code=site.code, event_date=today(), place="at_site", outcome="unknown"
        )
        start, end = _last_month()
        submitted = submissions.submit(boss, date_from=start, date_to=end, sites=[site.code])
        return {
            "overdose": event.id,
            "tally": self.tallies[site.code],
            "handout": handout.id,
            "bystander": bystander.id,
            "bystander_email": bystander.email,
            "bystander_token": users.create_token(None, bystander.email, "matrix")[0].id,
            "SPR": self.spr.id,
            "outgoing": outgoing.id,
            "incoming": incoming.id,
            "incoming_line": incoming.lines[0].id,
            "training": session.id,
            "count": count.id,
            "discrepancy": discrepancy.id,
            "alert": alert.id,
            "submission": submitted.id,
        }

    def target(self, own: bool) -> Target:
        site = self.own if own else self.other
        return Target(site, own, self.ids[site.code])

    def call(self, key: str, rule: Any, role: str, target: Target):
        method, endpoint = key.split(" ", 1)
        built = REQUESTS.get(key, lambda t: {})(target)
        missing = [a for a in rule.arguments if a not in PARAMS]
        assert not missing, f"Add PARAMS for URL arguments {missing} of {key}"
        values = {
            name: PARAMS.get(f"{key} {name}", PARAMS[name])(target) for name in rule.arguments
        }
        if method in BODY_METHODS:
            assert "json" in built or "data" in built, (
                f"Add a REQUESTS entry with a valid body (json, or form data) for {key}"
            )
        with self.client.application.test_request_context():
            path = url_for(endpoint, **values, **built.get("query", {}))
        headers = {}
        if path.startswith("/api/"):
            if role != "anonymous":
                headers["Authorization"] = f"Bearer {self.tokens[role]}"
        else:
            self._log_in_page(role)
        return self.client.open(
            path, method=method, json=built.get("json"), data=built.get("data"), headers=headers
        )

    def _log_in_page(self, role: str) -> None:
        with self.client.session_transaction() as session:
            session.clear()
        if role == "anonymous":
            return
        user = self.users[role]
        db.session.refresh(user)  # its session_version may have changed (log out everywhere)
        login(self.client, user)
        if role == "revoked":  # a session from before "log out everywhere"
            with self.client.session_transaction() as session:
                session["_user_id"] = f"{user.id}:{user.session_version - 1}"


def _line() -> dict[str, Any]:
    return {"item": "SPR", "quantity": 1}


def _denied(app: Flask, client, key: str, response) -> bool:
    hidden = RULES[key].endswith("/hidden")
    if response.status_code in (401, 403) or (hidden and response.status_code == 404):
        return True
    if response.status_code in (301, 302, 303, 307):
        view = app.login_manager.login_view  # type: ignore[attr-defined]
        with app.test_request_context():
            login_path = url_for(view)
        location = response.headers.get("Location", "")
        if location.split("?")[0].endswith(login_path):
            return not (key in LOGIN_IS_SUCCESS and "next=" not in location)
        with client.session_transaction() as session:
            flashes = session.get("_flashes", [])
        return any(kind == "error" and REFUSAL.match(str(text)) for kind, text in flashes)
    return False


@pytest.mark.parametrize("key", [k for k in ENDPOINTS if k in RULES])
def test_access_matches_the_rule(app, client, key, monkeypatch):
    # Forms are checked for access here; CSRF has its own tests (it would answer 400 first).
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    world = World(client)
    rule = _url_map_keys(app)[key]
    wrong = []
    for where in (False, True):
        for role in ROLES:
            response = world.call(key, rule, role, world.target(own=where))
            label = f"{role} @ {'own' if where else 'other'} site"
            assert response.status_code < 500, f"{key} as {label}: {response.status_code}"
            allowed = not _denied(app, client, key, response)
            response.close()
            if allowed != expected_allowed(RULES[key], role, where):
                wrong.append(f"{label}: {response.status_code} (rule {RULES[key]})")
    assert not wrong, f"{key}: " + "; ".join(wrong)


# The scope rules of issue 19, each as a row: who, what, and the answer that must come.
# The matrix's coordinator is of 0301 (the own site, EGEN); ANNEN is in 4601. A refusal on
# another municipality's account is 403 (the account exists but is not theirs).
SCOPE_RULES: list[tuple[str, str, str, str, Callable[[World], Any], set[int]]] = [
    # Coordinators act on their own municipality's sites only.
    ("coordinator", "GET", "/sites/ANNEN", "other municipality's site", lambda w: None, {403}),
    ("coordinator", "PATCH", "/sites/ANNEN", "rename it", lambda w: {"name": "X"}, {403}),
    (
        "coordinator",
        "PATCH",
        "/sites/ANNEN",
        "change operator",
        lambda w: {"operator": "ngo"},
        {403},
    ),
    (
        "coordinator",
        "PATCH",
        "/sites/EGEN",
        "own site's operator",
        lambda w: {"operator": "ngo"},
        {200},
    ),
    (
        "coordinator",
        "POST",
        "/sites",
        "a site in another municipality",
        lambda w: _site_in("4601"),
        {422},
    ),
    ("coordinator", "POST", "/sites", "a site in their own", lambda w: _site_in("0301"), {201}),
    ("coordinator", "GET", "/sites/ANNEN/items", "other site's items", lambda w: None, {403}),
    (
        "coordinator",
        "PATCH",
        "/sites/ANNEN/items/SPR",
        "other site's item",
        lambda w: {"active": False},
        {403},
    ),
    # ... and on their municipality's users only; never an admin, never another area's coordinator.
    ("coordinator", "GET", "/users/{ANNEN}", "other municipality's user", lambda w: None, {403}),
    ("coordinator", "PATCH", "/users/{ANNEN}", "change them", lambda w: {"name": "X"}, {403}),
    ("coordinator", "POST", "/users/{ANNEN}/password-reset", "reset link", lambda w: {}, {403}),
    ("coordinator", "PATCH", "/users/{EGEN}", "own user", lambda w: {"name": "Ny"}, {200}),
    ("coordinator", "POST", "/users", "an admin", lambda w: _user("admin"), {403}),
    (
        "coordinator",
        "PATCH",
        "/users/{EGEN}",
        "promote to admin",
        lambda w: {"global_role": "admin"},
        {403},
    ),
    (
        "coordinator",
        "POST",
        "/users",
        "a coordinator of 4601",
        lambda w: _user("coordinator", municipality="4601"),
        {403},
    ),
    (
        "coordinator",
        "POST",
        "/users",
        "a coordinator of 0301",
        lambda w: _user("coordinator", municipality="0301"),
        {201},
    ),
    (
        "coordinator",
        "POST",
        "/users",
        "staff at another area's site",
        lambda w: _user("staff", sites=["ANNEN"]),
        {403},
    ),
    (
        "coordinator",
        "POST",
        "/users",
        "staff at their site",
        lambda w: _user("staff", sites=["EGEN"]),
        {201},
    ),
    # The catalogue and municipalities are the admins'.
    ("coordinator", "POST", "/items", "a catalogue item", lambda w: _item(), {403}),
    ("coordinator", "PATCH", "/items/SPR", "retire an item", lambda w: {"active": False}, {403}),
    (
        "coordinator",
        "POST",
        "/municipalities",
        "a municipality",
        lambda w: {"number": "1103", "name": "Stavanger"},
        {403},
    ),
    (
        "admin",
        "POST",
        "/municipalities",
        "a municipality",
        lambda w: {"number": "1103", "name": "Stavanger"},
        {201},
    ),
    ("admin", "POST", "/users", "an admin", lambda w: _user("admin"), {201}),
    # Leads change their own site's items and levels, not another site's, not the site.
    ("lead", "PATCH", "/sites/EGEN/items/SPR", "own item", lambda w: {"active": False}, {200}),
    (
        "lead",
        "PATCH",
        "/sites/EGEN/items/SPR",
        "own levels",
        lambda w: {"reorder_level": 5, "target_level": 9},
        {200},
    ),
    (
        "lead",
        "PUT",
        "/sites/EGEN/items/SPR/levels",
        "own levels (alias)",
        lambda w: {"reorder_level": 5, "target_level": 9},
        {200},
    ),
    (
        "lead",
        "PATCH",
        "/sites/ANNEN/items/SPR",
        "other site's item",
        lambda w: {"active": False},
        {403},
    ),
    (
        "lead",
        "PUT",
        "/sites/ANNEN/items/SPR/levels",
        "other site's levels",
        lambda w: {"reorder_level": 5, "target_level": 9},
        {403},
    ),
    ("lead", "PATCH", "/sites/EGEN", "the site itself", lambda w: {"operator": "ngo"}, {403}),
    ("lead", "POST", "/users", "any account", lambda w: _user("staff", sites=["EGEN"]), {403}),
    # Staff see their site's items and change none.
    ("staff", "GET", "/sites/EGEN/items", "own site's items", lambda w: None, {200}),
    (
        "staff",
        "PATCH",
        "/sites/EGEN/items/SPR",
        "own site's item",
        lambda w: {"active": False},
        {403},
    ),
]


def _site_in(number: str) -> dict[str, str]:
    return {"code": f"NY{next(_SEQ)}", "name": "Nytt", "municipality": number, "kind": "annet"}


def _user(role: str, **extra: Any) -> dict[str, Any]:
    body = {"email": f"scope{next(_SEQ)}@test.no", "name": "Ny", "password": PASSWORD}
    return {**body, "role": role, **extra}


def _item() -> dict[str, str]:
    return {"code": f"NY{next(_SEQ)}", "name_nb": "Ny", "name_en": "New", "category": "other"}


@pytest.mark.parametrize(
    ("role", "method", "path", "what", "body", "expected"),
    SCOPE_RULES,
    ids=[f"{r[0]} {r[1]} {r[2]} ({r[3]})" for r in SCOPE_RULES],
)
def test_scope_rule(app, client, role, method, path, what, body, expected):
    world = World(client)
    path = path.format(**{code: ids["bystander"] for code, ids in world.ids.items()})
    response = client.open(
        f"/api/v1{path}",
        method=method,
        json=body(world),
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
    )
    assert response.status_code in expected, (what, response.status_code, response.get_json())
