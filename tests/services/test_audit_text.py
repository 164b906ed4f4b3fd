"""Issue 22: the audit log reads as sentences, one per (entity, action) the services audit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from tests.factories import actor, login, make_item, make_site, make_user
from tracker.models import AuditEvent, User
from tracker.services import audit_text, catalog

ROOT = Path(__file__).resolve().parents[2]
KARI = "Kari Koordinator"


def audited_actions() -> set[tuple[str, str]]:
    """Every (entity, action) an `audit.record(...)` call in tracker/ writes, read from source."""
    found = set()
    call = re.compile(
        r"(?:record|record_now|AuditEvent)\(\s*(?:[^,()]+(?:\([^()]*\))?,\s*)?"
        r"(?:entity=)?\"(\w+)\",\s*(?:entity_id=)?[^,]+,\s*(?:action=)?([^,)]+)"
    )
    for path in (ROOT / "tracker").rglob("*.py"):
        for entity, action in call.findall(path.read_text()):
            for name in re.findall(r"\"([\w-]+)\"", action):
                found.add((entity, name))
    return found


def test_every_audited_action_in_the_code_has_a_sentence():
    found = audited_actions()
    assert ("site_item", "set_levels") in found  # the scan itself works
    assert ("api_token", "revoke_cli") in found  # both arms of a conditional action
    assert ("ledger", "rebuild") in found  # the one written as AuditEvent(...)
    assert sorted(found - set(audit_text.PHRASES)) == []


def event(entity, entity_id, action, before=None, after=None) -> AuditEvent:
    found = AuditEvent(
        entity=entity, entity_id=str(entity_id), action=action, before=before, after=after
    )
    found.user = User(name=KARI, email="kari@test.no")
    return found


def say(app, found: AuditEvent, items=None, users=None, lang="nb") -> str:
    ctx = audit_text.Context(lang=lang, items=items or {"SPR-2": "Sprøyte 2 ml"}, users=users or {})
    with app.test_request_context(), force_locale(lang):
        return audit_text.sentence(found, ctx)


TALLY = {"site": "OSL-MO", "date": "2026-12-01", "contacts": 3, "note": None,
         "lines": {"SPR-2": 40}}  # fmt: skip
COUNT = {"site": "OSL-MO", "date": "2026-12-01", "status": "open", "lines": []}
TRANSFER = {"from": "OSL-MO", "to": "BGO-MO", "status": "shipped", "shipped_on": "2026-12-01",
            "received_on": None, "lines": [{"item": "SPR-2", "lot": None, "shipped": 20,
                                            "received": None}]}  # fmt: skip
SESSION = {"site": "OSL-MO", "date": "2026-12-01", "type": "cpr", "counts": {"pwud": 4},
           "duration_minutes": 60, "trainer": "Per", "note": None, "attendees": []}  # fmt: skip
USER = {"email": "ola@test.no", "name": "Ola Ansatt", "active": True, "global_role": None,
        "municipality": None, "sites": {"OSL-MO": "staff"}}  # fmt: skip
ITEM = {"code": "SPR-2", "name_nb": "Sprøyte 2 ml", "name_en": "Syringe 2 ml",
        "category": "syringe", "unit": "stk", "tracks_lots": False, "active": True,
        "sort_order": 1}  # fmt: skip

# One case per action: the event, and what its sentence must say.
CASES = [
    (event("item", 1, "create", after=ITEM), ["la til varen Sprøyte 2 ml (SPR-2)"]),
    (event("item", 1, "update", ITEM, {**ITEM, "unit": "eske"}),
     ["endret varen Sprøyte 2 ml", "enhet fra stk til eske"]),
    (event("site_item", "OSL-MO/SPR-2", "set_levels", {"reorder_level": 300, "target_level": 500},
           {"reorder_level": 400, "target_level": 500}),
     [f"{KARI} endret bestillingsnivå for Sprøyte 2 ml ved OSL-MO fra 300 til 400"]),
    (event("site_item", "OSL-MO/SPR-2", "set_levels", None,
           {"reorder_level": 300, "target_level": 1200}),
     ["satte bestillingsnivå for Sprøyte 2 ml ved OSL-MO til 300 og målnivå til 1\u00a0200"]),
    (event("site_item", "OSL-MO/SPR-2", "update",
           {"active": True, "reorder_level": 0, "target_level": 0},
           {"active": False, "reorder_level": 0, "target_level": 0}),
     ["slo av Sprøyte 2 ml ved OSL-MO"]),
    (event("site_item", "OSL-MO/SPR-2", "update",
           {"active": True, "reorder_level": 1, "target_level": 2},
           {"active": True, "reorder_level": 3, "target_level": 4}),
     ["endret Sprøyte 2 ml ved OSL-MO", "bestillingsnivå fra 1 til 3", "målnivå fra 2 til 4"]),
    (event("stock_count", 7, "open", after=COUNT), ["startet varetelling 7 ved OSL-MO"]),
    (event("stock_count", 7, "lines", COUNT, COUNT), ["førte opp tall i varetelling 7"]),
    (event("stock_count", 7, "close", {"status": "open"}, {**COUNT, "status": "closed"}),
     ["avsluttet varetelling 7 ved OSL-MO"]),
    (event("stock_count", 7, "cancel"), ["avbrøt varetelling 7"]),
    (event("discard", "OSL-MO/SPR-2", "create",
           after={"date": "2026-12-01", "item": "SPR-2", "lot": None, "quantity": 12,
                  "reason": "damaged", "note": None, "site": "OSL-MO"}),
     ["kasserte 12 Sprøyte 2 ml ved OSL-MO (damaged)"]),
    (event("discrepancy", 3, "resolve", {"resolved": False}, {"resolved": True, "note": "Telt"}),
     ["lukket avvik 3", "Telt"]),
    (event("import_batch", 2, "create",
           after={"filename": "2025.csv", "file_hash": "ab", "rows": 1200, "imported": 1190,
                  "skipped": 10}),
     ["importerte 2025.csv: 1\u00a0190 av 1\u00a0200 rader, 10 hoppet over"]),
    (event("municipality", 1, "create", after={"number": "0301", "name": "Oslo"}),
     ["opprettet kommunen Oslo (0301)"]),
    (event("municipality", 1, "rename", {"number": "0301", "name": "Oslo"},
           {"number": "0301", "name": "Oslo kommune"}),
     ["endret navnet på kommune 0301 fra Oslo til Oslo kommune"]),
    (event("naloxone_handout", 5, "create",
           after={"site": "OSL-MO", "date": "2026-12-01", "item": "SPR-2", "lot": "L1",
                  "quantity": 2, "recipient_group": "pwud", "first_time": True,
                  "refill_reason": None, "training_given": False}),
     ["registrerte 2 Sprøyte 2 ml ved OSL-MO for 01.12.2026"]),
    (event("naloxone_handout", 5, "update",
           {"site": "OSL-MO", "date": "2026-12-01", "item": "SPR-2", "quantity": 2},
           {"site": "OSL-MO", "date": "2026-12-01", "item": "SPR-2", "quantity": 3}),
     ["endret naloksonutdeling 5 ved OSL-MO", "fra 2 til 3"]),
    (event("naloxone_handout", 5, "delete",
           before={"site": "OSL-MO", "date": "2026-12-01", "item": "SPR-2", "quantity": 2}),
     ["slettet naloksonutdeling 5 ved OSL-MO (2 Sprøyte 2 ml, 01.12.2026)"]),
    (event("category", "condom", "create",
           after={"code": "condom", "name_nb": "Kondomer", "name_en": "Condoms",
                  "sort_order": 10}),
     ["la til kategorien Kondomer (condom)"]),
    (event("category", "condom", "rename", {"name_nb": "Kondomer"}, {"name_nb": "Kondom"}),
     ["endret kategorien condom", "fra Kondomer til Kondom"]),
    (event("item", 12, "set_contents", {"contents": []},
           {"contents": [{"item": "SPR-2", "quantity": 10}]}),
     ["satte innholdet i brukerpakke 12 til 10 Sprøyte 2 ml"]),
    (event("overdose_event", 4, "create",
           after={"site": "OSL-MO", "date": "2026-12-01", "place": "at_site",
                  "naloxone_doses": 2, "outcome": "to_hospital"}),
     ["registrerte en overdose ved OSL-MO for 01.12.2026 (2 doser nalokson"]),
    (event("overdose_event", 4, "update", {"site": "OSL-MO", "naloxone_doses": 1},
           {"site": "OSL-MO", "naloxone_doses": 2}),
     ["endret overdose 4 ved OSL-MO", "fra 1 til 2"]),
    (event("overdose_event", 4, "delete", before={"site": "OSL-MO", "date": "2026-12-01"}),
     ["slettet overdose 4 ved OSL-MO (01.12.2026)"]),
    (event("referral", 8, "create",
           after={"site": "OSL-MO", "date": "2026-12-01", "to": "nav", "count": 2}),
     ["registrerte 2 henvisninger til nav ved OSL-MO for 01.12.2026"]),
    (event("equipment_return", 8, "create",
           after={"site": "OSL-MO", "date": "2026-12-01", "kind": "pieces", "count": 40}),
     ["registrerte 40 i retur (pieces) ved OSL-MO"]),
    (event("contact_groups", 8, "create",
           after={"site": "OSL-MO", "date": "2026-12-01", "women": 3}),
     ["registrerte kontakter etter gruppe ved OSL-MO for 01.12.2026"]),
    (event("user", 9, "password_reset_link", after={"link": 1, "expires_at": "x"}),
     ["lagde en lenke for nytt passord til Ola Ansatt"]),
    (event("user", 9, "password_reset", after={"link": 1, "tokens_revoked": 0}),
     ["Ola Ansatt satte nytt passord med en lenke"]),
    (event("site", 1, "create", after={"code": "OSL-MO", "name": "Testsenter",
                                       "municipality": "0301", "kind": "mo_senter",
                                       "active": True}),
     ["opprettet stedet OSL-MO (Testsenter)"]),
    (event("site", 1, "update", {"code": "OSL-MO", "name": "A", "active": True},
           {"code": "OSL-MO", "name": "B", "active": False}),
     ["endret stedet OSL-MO", "navn fra A til B", "i bruk fra ja til nei"]),
    (event("site", 1, "stock-start", {"stock_start": None},
           {"stock_start": "2026-03-01", "entries_brought_in": 0}),
     ["satte lagerstart for", "til 01.03.2026"]),
    (event("submission", 3, "create", after={"period": "2026-T3"}), ["sendte inn rapport 3"]),
    (event("submission", 3, "reopen", {"open": False}, {"open": True}),
     ["åpnet rapport 3 igjen"]),
    (event("lot", 4, "confirm-lot-number",
           after={"item": "SPR-2", "receipt_id": 1, "printed_on_box": True}),
     ["bekreftet at partinummeret til Sprøyte 2 ml"]),
    (event("receipt", 1, "create",
           after={"date": "2026-12-01", "lines": [{"item": "SPR-2", "quantity": 2000}]}),
     ["tok imot 2\u00a0000 Sprøyte 2 ml"]),
    (event("tally", 11, "create", after=TALLY),
     ["registrerte utdeling ved OSL-MO for 01.12.2026: 40 Sprøyte 2 ml"]),
    (event("tally", 11, "update", TALLY, {**TALLY, "lines": {"SPR-2": 30}}),
     ["endret registrering 11 ved OSL-MO: Sprøyte 2 ml fra 40 til 30"]),
    (event("tally", 11, "delete", before=TALLY), ["slettet registrering 11 ved OSL-MO"]),
    (event("training_session", 2, "create", after=SESSION), ["registrerte opplæring (cpr)"]),
    (event("training_session", 2, "update", SESSION, {**SESSION, "trainer": "Kari"}),
     ["endret opplæring 2", "kursholder fra Per til Kari"]),
    (event("transfer", 6, "ship", after=TRANSFER),
     ["sendte 20 Sprøyte 2 ml fra OSL-MO til BGO-MO"]),
    (event("transfer", 6, "receive", {"status": "shipped"},
           {**TRANSFER, "lines": [{"item": "SPR-2", "shipped": 20, "received": 18}]}),
     ["tok imot overføring 6 fra OSL-MO ved BGO-MO: 18 Sprøyte 2 ml"]),
    (event("transfer", 6, "cancel"), ["avbrøt overføring 6"]),
    (event("user", 9, "create", after=USER), [f"{KARI} opprettet brukeren Ola Ansatt"]),
    (event("user", 9, "create_cli", after=USER), ["Ola Ansatt ble opprettet fra kommandolinjen"]),
    (event("user", 9, "init", after=USER), ["første administratoren, Ola Ansatt"]),
    (event("user", 9, "change_password", after={"tokens_revoked": 0}),
     ["byttet passordet til Ola Ansatt"]),
    (event("user", 9, "end_sessions", after={"tokens_revoked": 1}),
     ["logget Ola Ansatt ut på alle enheter"]),
    (event("user", 9, "activate", USER, USER), ["aktiverte brukeren Ola Ansatt"]),
    (event("user", 9, "deactivate", USER, {**USER, "active": False}),
     ["deaktiverte brukeren Ola Ansatt"]),
    (event("user", 9, "update", USER, {**USER, "sites": {"OSL-MO": "lead"}}),
     ["endret brukeren Ola Ansatt", "steder fra OSL-MO: staff til OSL-MO: lead"]),
    (event("user", 9, "pick_site", after={"site": "OSL-MO"}), ["valgte stedet OSL-MO"]),
    (event("api_token", 1, "create", after={"user": "ola@test.no", "name": "kasse",
                                            "prefix": "ab", "expires_at": "x"}),
     ["lagde API-nøkkelen «kasse» for ola@test.no"]),
    (event("api_token", 1, "revoke", after={"user": "ola@test.no", "name": "kasse"}),
     ["trakk tilbake API-nøkkelen «kasse»"]),
    (event("api_token", 1, "revoke_cli", after={"user": "ola@test.no", "name": "kasse"}),
     ["ble trukket tilbake fra kommandolinjen"]),
    (event("ledger", "derived", "rebuild", after={"stock_balance": 0}),
     ["bygd opp på nytt fra lagerloggen"]),
    (event("unmet_demand", 1, "create", after={"site": "OSL-MO", "date": "2026-12-01",
                                               "item": "SPR-2", "quantity": 38}),
     ["38 Sprøyte 2 ml ble spurt om og ikke gitt ved OSL-MO 01.12.2026"]),
    (event("drug_alert", 1, "create", after={"title": "Nitazener", "municipality": "0301"}),
     ["la ut et varsel for 0301: Nitazener"]),
    (event("drug_alert", 1, "create", after={"title": "Nitazener", "municipality": None}),
     ["la ut et varsel for hele landet: Nitazener"]),
    (event("drug_alert", 1, "end", {"title": "Nitazener"}, {"title": "Nitazener"}),
     ["avsluttet varselet: Nitazener"]),
    (event("deliveries", 1, "update", {"site": "OSL-MO", "weekdays": [2], "lead_time_days": 0},
           {"site": "OSL-MO", "weekdays": [2, 5], "lead_time_days": 1}),
     ["endret leveringsdagene for OSL-MO", "bestillingsfrist (dager) fra 0 til 1"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("found", "fragments"), CASES, ids=[f"{e.entity}.{e.action}" for e, _ in CASES]
)
def test_each_action_reads_as_a_sentence(app, found, fragments):
    text = say(app, found, users={"9": "Ola Ansatt"})
    for fragment in fragments:
        assert fragment in text
    assert "«" not in text or found.entity == "api_token"  # not the generic fallback
    assert "{" not in text  # no raw JSON


def test_every_known_action_has_a_case_here():
    assert {(e.entity, e.action) for e, _ in CASES} == set(audit_text.PHRASES)


def test_an_unknown_action_falls_back_to_a_generic_sentence(app):
    text = say(app, event("widget", 3, "polish", after={"shine": 1}))
    assert text == f"{KARI}: «polish» på widget 3"


def test_an_old_event_with_another_payload_shape_still_reads(app):
    text = say(app, event("transfer", 6, "ship", after={"lines": "not a list"}))
    assert KARI in text


def test_sentences_follow_the_page_language(app):
    found = event("site_item", "OSL-MO/SPR-2", "set_levels", {"reorder_level": 300},
                  {"reorder_level": 4000})  # fmt: skip
    text = say(app, found, items={"SPR-2": "Syringe 2 ml"}, lang="en")
    assert text == f"{KARI} changed reorder level for Syringe 2 ml at OSL-MO from 300 to 4,000"


def test_the_audit_page_shows_the_sentence_and_the_raw_json_on_demand(app, client):
    site = make_site("OSL-MO")
    item = make_item("SPR-2")
    item.name_nb = "Sprøyte 2 ml"
    coordinator = make_user("coordinator", municipality="0301")
    coordinator.name = KARI
    from tracker.extensions import db

    db.session.commit()
    catalog.set_levels(actor(coordinator), "OSL-MO", "SPR-2", reorder_level=300, target_level=500)
    catalog.set_levels(actor(coordinator), "OSL-MO", "SPR-2", reorder_level=400, target_level=500)
    login(client, make_user("admin"))
    html = client.get("/revisjonslogg").get_data(as_text=True)
    assert f"{KARI} endret bestillingsnivå for Sprøyte 2 ml ved OSL-MO fra 300 til 400" in html
    assert "<details>" in html
    assert "&#34;reorder_level&#34;: 400" in html or '"reorder_level": 400' in html
    assert site.code in html
