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
"Allowed" means the answer is neither 401/403 nor a redirect to the login page (a 404, 409
or 422 is allowed: access was granted, the request itself was refused); "denied" means
exactly that. Nothing may answer 5xx.

Requests that need a body, a query or path values take them from REQUESTS and PARAMS; each
is built for the target site (own or other), so a site rule is checked on real data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for

from tests.factories import (
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
from tracker.extensions import db
from tracker.models import ApiToken, Site
from tracker.models.auth import ROLE_RANK
from tracker.services import tallies, users
from tracker.services.access import Actor

RULES: dict[str, str] = {
    "GET web.home": "public",
    "GET web.static": "public",
    "GET health.healthz": "public",
    "GET health.readyz": "public",
    "GET api-docs.openapi_json": "public",
    "GET sites.Sites": "authenticated",
    "POST sites.Sites": "global:coordinator",
    "GET sites.SiteByCode": "site:staff",
    "PATCH sites.SiteByCode": "site:coordinator",
    "PUT sites.SiteItemLevels": "site:lead",
    "GET items.Items": "authenticated",
    "POST items.Items": "global:coordinator",
    "GET items.ItemByCode": "authenticated",
    "PATCH items.ItemByCode": "global:coordinator",
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
    "GET audit.AuditEvents": "global:coordinator",
    "GET auditlog.index": "global:coordinator",
}


@dataclass
class Target:
    """The site a request is aimed at, and the objects the request may name."""

    site: Site
    own: bool
    ids: dict[str, Any] = field(default_factory=dict)


def _day() -> str:
    return today().isoformat()


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
    "POST items.Items": lambda t: {
        "json": {
            "code": f"NY-{t.site.code}",
            "name_nb": "Ny",
            "name_en": "New",
            "category": "other",
        }
    },
    "PATCH items.ItemByCode": lambda t: {"json": {"name_nb": "Sprøyte"}},
    "POST stock.Receipts": lambda t: {
        "json": {"site": t.site.code, "date": _day(), "lines": [{"item": "SPR", "quantity": 5}]}
    },
    "GET stock.Movements": lambda t: {"query": {"site": t.site.code}},
    "GET stock.Stock": lambda t: {"query": {"site": t.site.code}},
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
    "GET audit.AuditEvents": lambda t: {"query": {"site": t.site.code}},
    "GET auditlog.index": lambda t: {"query": {"site": t.site.code}},
}

# URL arguments by name, for the target site.
PARAMS: dict[str, Callable[[Target], Any]] = {
    "code": lambda t: t.site.code,
    "item": lambda t: "SPR",
    "tally_id": lambda t: t.ids["tally"],
    "filename": lambda t: "app.css",
}

ROLES = ("anonymous", "revoked", "deactivated", "staff", "lead", "coordinator", "admin")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def expected_allowed(rule: str, role: str, own: bool) -> bool:
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


class World:
    """Two sites in two municipalities, one user per role at the first, data at both."""

    def __init__(self, client):
        self.client = client
        self.own = make_site("EGEN", municipality="0301")
        self.other = make_site("ANNEN", municipality="4601")
        make_item("SPR")
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
        token = db.session.query(ApiToken).filter_by(user_id=self.users["revoked"].id).one()
        users.revoke_token(Actor(self.users["revoked"]), token.id)
        users.set_active(boss, self.users["deactivated"].email, False)

    def target(self, own: bool) -> Target:
        site = self.own if own else self.other
        return Target(site, own, {"tally": self.tallies[site.code]})

    def call(self, key: str, rule: Any, role: str, target: Target):
        method, endpoint = key.split(" ", 1)
        built = REQUESTS.get(key, lambda t: {})(target)
        missing = [a for a in rule.arguments if a not in PARAMS]
        assert not missing, f"Add PARAMS for URL arguments {missing} of {key}"
        values = {name: PARAMS[name](target) for name in rule.arguments}
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
        login(self.client, user)
        if role == "revoked":  # a session from before "log out everywhere"
            with self.client.session_transaction() as session:
                session["_user_id"] = f"{user.id}:{user.session_version - 1}"


def _line() -> dict[str, Any]:
    return {"item": "SPR", "quantity": 1}


def _denied(app: Flask, response) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code in (301, 302, 303, 307):
        view = app.login_manager.login_view  # type: ignore[attr-defined]
        with app.test_request_context():
            login_path = url_for(view)
        return response.headers.get("Location", "").split("?")[0].endswith(login_path)
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
            allowed = not _denied(app, response)
            response.close()
            if allowed != expected_allowed(RULES[key], role, where):
                wrong.append(f"{label}: {response.status_code} (rule {RULES[key]})")
    assert not wrong, f"{key}: " + "; ".join(wrong)
