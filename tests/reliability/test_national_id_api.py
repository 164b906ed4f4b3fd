"""The attack on the API: a valid national ID number, spelled every way, in every string field.

Every string field of every input schema is reached through its endpoint (a walk over the
schemas checks that none is left out). Free text gets 422 naming the field; a lot number
that names no lot is refused; nothing is stored and nothing echoed. Each field gets four
number kinds in four spellings here, and every field gets every kind in every spelling at
the schema (tests/reliability/test_privacy.py and test_national_id_spellings.py do the rest).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from marshmallow import Schema, fields
from marshmallow import ValidationError as SchemaError
from sqlalchemy import select

from tests.api.stockops_helpers import receive, receive_lot, stock_world
from tests.factories import make_item, tally_body
from tests.national_ids import NATIONAL_IDS, ONE_OF_EACH, SPELLINGS
from tests.reliability.test_privacy import FREE_TEXT, LOT_FIELDS
from tracker.dates import today
from tracker.extensions import db
from tracker.models import AuditEvent, Base, User
from tracker.national_id import contains_national_id
from tracker.schemas import (
    alerts,
    catalog,
    categories,
    counts,
    discards,
    discrepancies,
    municipalities,
    naloxone,
    overdoses,
    sites,
    stock,
    submissions,
    tallies,
    training,
    transfers,
    users,
)
from tracker.schemas.common import LotNumber, NoNationalId

DAY = today().isoformat()
LAST_MONTH_END = today().replace(day=1) - timedelta(days=1)
LAST_MONTH = {"from": LAST_MONTH_END.replace(day=1).isoformat(), "to": LAST_MONTH_END.isoformat()}


def snapshot() -> dict[str, list[str]]:
    """Every row of every table (but when a token was last used): what 'nothing stored' means."""
    db.session.expire_all()
    db.session.commit()
    found = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "last_used_at"]
            found[table.name] = sorted(repr(tuple(row)) for row in conn.execute(select(*columns)))
    return found


def texts(response) -> str:
    """The response as text, JSON strings decoded (JSON escapes a no-break space)."""
    raw = response.get_data(as_text=True)
    try:
        return raw + json.dumps(response.get_json(silent=True), ensure_ascii=False)
    except TypeError:
        return raw


@pytest.fixture
def world(client):
    w = stock_world(client)
    make_item("SPR-LOT", "syringe", tracks_lots=True)
    receive(w["lead_a"], w["a"], {"SPR-2": 100})
    receive_lot(w["lead_a"], w["a"], "NALOKSON", "NX1", 20, 200)
    receive_lot(w["lead_a"], w["a"], "SPR-LOT", "SL1", 20, 200)
    w["tally"] = w["staff_a"].post("/tallies", tally_body(w["a"], {"SPR-2": 1})).get_json()["id"]
    w["session"] = _created(w["lead_a"].post("/training-sessions", session_body()))
    w["transfer"] = _created(w["lead_a"].post("/transfers", transfer_body()))
    w["staff_b"].post("/tallies", tally_body(w["b"], {"SPR-2": 1}))  # below zero: a discrepancy
    w["discrepancy"] = w["lead_b"].get("/discrepancies?site=OSL-SR").get_json()[0]["id"]
    w["handout"] = _created(
        w["staff_a"].post(
            "/naloxone-handouts",
            {
                "site": "OSL-MO",
                "date": DAY,
                "quantity": 1,
                "recipient_group": "pwud",
                "first_time": True,
                "training_given": False,
            },
        )
    )
    w["overdose"] = _created(w["staff_a"].post("/overdose-events", overdose_body()))
    w["count"] = _created(w["lead_a"].post("/stock-counts", {"site": "OSL-MO"}))
    kondom = {"code": "kondom", "name_nb": "Kondomer", "name_en": "Condoms"}
    assert w["admin"].post("/categories", kondom).status_code == 201
    lines = {"lines": [{"item": "NALOKSON", "lot": "NX1", "quantity": 20}]}
    saved = w["lead_a"].put(f"/stock-counts/{w['count']}/lines", lines)
    assert saved.status_code == 200
    w["count_line"] = saved.get_json()["lines"][0]["id"]  # it differs: closing needs a reason
    submitted = w["coord_oslo"].post("/submissions", {"site": ["OSL-SR"], **LAST_MONTH})
    w["submission"] = _created(submitted)
    return w


def _staff_id() -> int:
    return db.session.scalar(select(User.id).where(User.global_role.is_(None)).order_by(User.id))


def _created(response) -> int:
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def overdose_body() -> dict[str, Any]:
    return {
        "site": "OSL-MO",
        "date": DAY,
        "place": "at_site",
        "outcome": "recovered_on_site",
        "naloxone_doses": 1,
        "item": "NALOKSON",
        "lot": "NX1",
        "note": "Kom seg etter to minutter",
    }


def session_body() -> dict[str, Any]:
    return {
        "site": "OSL-MO",
        "date": DAY,
        "type": "cpr",
        "participants": {"pwud": 5},
        "trainer": "Sykepleier Kari",
        "note": "Kameratredning med dukker",
    }


def transfer_body() -> dict[str, Any]:
    return {
        "from": "OSL-MO",
        "to": "OSL-SR",
        "date": DAY,
        "lines": [{"item": "NALOKSON", "quantity": 1, "lot": "NX1"}],
        "note": "Til sprøyterommet",
    }


# (schema, who, method, path, base body): the base body succeeds as it is.
Endpoint = tuple[type[Schema], str, str, Callable[[dict], str], Callable[[dict], dict]]
ENDPOINTS: list[Endpoint] = [
    (
        catalog.ItemIn,
        "admin",
        "post",
        lambda w: "/items",
        lambda w: {"code": "NY-VARE", "name_nb": "Ny", "name_en": "New", "category": "foil"},
    ),
    (catalog.ItemPatch, "admin", "patch", lambda w: "/items/SPR-2", lambda w: {"unit": "pk"}),
    (
        categories.CategoryIn,
        "admin",
        "post",
        lambda w: "/categories",
        lambda w: {"code": "vitamin", "name_nb": "Vitaminer", "name_en": "Vitamins"},
    ),
    (
        categories.CategoryPatch,
        "admin",
        "patch",
        lambda w: "/categories/kondom",
        lambda w: {"name_nb": "Kondom"},
    ),
    (
        sites.SiteIn,
        "admin",
        "post",
        lambda w: "/sites",
        lambda w: {"code": "OSL-NY", "name": "Nytt", "municipality": "0301", "kind": "annet"},
    ),
    (sites.SitePatch, "admin", "patch", lambda w: "/sites/OSL-MO", lambda w: {"name": "MO"}),
    (
        municipalities.MunicipalityIn,
        "admin",
        "post",
        lambda w: "/municipalities",
        lambda w: {"number": "1103", "name": "Stavanger"},
    ),
    (
        municipalities.MunicipalityPatch,
        "admin",
        "patch",
        lambda w: "/municipalities/0301",
        lambda w: {"name": "Oslo kommune"},
    ),
    (
        users.UserIn,
        "admin",
        "post",
        lambda w: "/users",
        lambda w: {
            "email": "ny@test.no",
            "name": "Ny Ansatt",
            "password": "et langt nok passord",
            "role": "staff",
            "sites": ["OSL-MO"],
        },
    ),
    (
        users.UserPatch,
        "admin",
        "patch",
        lambda w: f"/users/{_staff_id()}",
        lambda w: {"name": "Kari Ansatt"},
    ),
    (
        tallies.TallyIn,
        "staff_a",
        "post",
        lambda w: "/tallies",
        lambda w: {
            **tally_body(w["a"], {"SPR-2": 2}),
            "lines": [
                {"item": "SPR-2", "quantity": 2},
                {"item": "SPR-LOT", "quantity": 1, "lot": "SL1"},
            ],
            "note": "Rolig dag",
        },
    ),
    (
        tallies.TallyPatch,
        "staff_a",
        "patch",
        lambda w: f"/tallies/{w['tally']}",
        lambda w: {"note": "Rettet", "lines": [{"item": "SPR-LOT", "quantity": 1, "lot": "SL1"}]},
    ),
    (
        stock.ReceiptIn,
        "lead_a",
        "post",
        lambda w: "/receipts",
        lambda w: {
            "site": "OSL-MO",
            "date": DAY,
            "lines": [{"item": "NALOKSON", "quantity": 5, "lot": "NX-2027-001", "expiry": DAY}],
            "note": "Levert av apoteket",
        },
    ),
    (
        naloxone.HandoutIn,
        "staff_a",
        "post",
        lambda w: "/naloxone-handouts",
        lambda w: {
            "site": "OSL-MO",
            "date": DAY,
            "quantity": 1,
            "lot": "NX1",
            "recipient_group": "pwud",
            "first_time": True,
            "training_given": True,
        },
    ),
    (
        naloxone.HandoutPatch,
        "staff_a",
        "patch",
        lambda w: f"/naloxone-handouts/{w['handout']}",
        lambda w: {"lot": "NX1", "quantity": 2},
    ),
    (
        overdoses.OverdoseIn,
        "staff_a",
        "post",
        lambda w: "/overdose-events",
        lambda w: overdose_body(),
    ),
    (
        overdoses.OverdosePatch,
        "staff_a",
        "patch",
        lambda w: f"/overdose-events/{w['overdose']}",
        lambda w: {"lot": "NX1", "note": "Rettet"},
    ),
    (transfers.TransferIn, "lead_a", "post", lambda w: "/transfers", lambda w: transfer_body()),
    (
        transfers.ReceiveIn,
        "lead_b",
        "post",
        lambda w: f"/transfers/{w['transfer']}/receive",
        lambda w: {"date": DAY, "note": "Kom fram"},
    ),
    (
        transfers.CancelIn,
        "lead_a",
        "post",
        lambda w: f"/transfers/{w['transfer']}/cancel",
        lambda w: {"reason": "Feil sted"},
    ),
    (
        counts.CountIn,
        "lead_b",
        "post",
        lambda w: "/stock-counts",
        lambda w: {"site": "OSL-SR", "note": "Kvartalstelling"},
    ),
    (
        counts.CountLinesIn,
        "lead_a",
        "put",
        lambda w: f"/stock-counts/{w['count']}/lines",
        lambda w: {"lines": [{"item": "NALOKSON", "lot": "NX1", "quantity": 20}]},
    ),
    (
        counts.CloseIn,
        "lead_a",
        "post",
        lambda w: f"/stock-counts/{w['count']}/close",
        lambda w: {"note": "Stemmer", "reasons": {str(w["count_line"]): "counting_error"}},
    ),
    (
        discards.DiscardIn,
        "lead_a",
        "post",
        lambda w: "/discards",
        lambda w: {
            "site": "OSL-MO",
            "date": DAY,
            "item": "NALOKSON",
            "lot": "NX1",
            "quantity": 1,
            "reason": "damaged",
            "note": "Knust",
        },
    ),
    (
        discrepancies.ResolveIn,
        "lead_b",
        "post",
        lambda w: f"/discrepancies/{w['discrepancy']}/resolve",
        lambda w: {"note": "Varemottak glemt"},
    ),
    (
        training.SessionIn,
        "lead_a",
        "post",
        lambda w: "/training-sessions",
        lambda w: session_body(),
    ),
    (
        submissions.SubmissionIn,
        "coord_oslo",
        "post",
        lambda w: "/submissions",
        lambda w: {"site": ["OSL-MO"], **LAST_MONTH, "note": "T3, sendt på e-post"},
    ),
    (
        submissions.ReopenIn,
        "coord_oslo",
        "post",
        lambda w: f"/submissions/{w['submission']}/reopen",
        lambda w: {"reason": "Sen papirlapp"},
    ),
    (
        training.SessionPatch,
        "lead_a",
        "patch",
        lambda w: f"/training-sessions/{w['session']}",
        lambda w: {"trainer": "Kari", "note": "Flyttet"},
    ),
    (
        alerts.AlertIn,
        "admin",
        "post",
        lambda w: "/alerts",
        lambda w: {"title": "Nitazener", "text": "Farlig stoff.", "severity": "warning"},
    ),
]


def string_paths(schema: type[Schema], prefix: str = "") -> list[tuple[str, fields.Field, str]]:
    """Every string field a body of this schema can hold, as a dotted path (lists: index 0)."""
    found = []
    for name, field in schema().fields.items():
        key = f"{prefix}{field.data_key or name}"
        inner = field.inner if isinstance(field, fields.List) else field
        at = f"{key}.0" if isinstance(field, fields.List) else key
        if isinstance(inner, fields.Nested):
            found += string_paths(type(inner.schema), f"{at}.")
        elif isinstance(inner, fields.String) and (
            (schema, name) in FREE_TEXT
            or (schema, name) in LOT_FIELDS
            or any(isinstance(v, NoNationalId) for v in inner.validators)
        ):
            found.append((at, inner, f"{schema.__name__}.{name}"))
    return found


CASES = [
    (schema, who, method, path, body, at, field, owner)
    for schema, who, method, path, body in ENDPOINTS
    for at, field, owner in string_paths(schema)
]
COMBOS = list(itertools.product(ONE_OF_EACH, SPELLINGS))


def test_every_string_field_of_every_input_schema_is_attacked():
    reached = {schema for schema, *_ in ENDPOINTS}
    for schema, *_ in ENDPOINTS:
        for field in schema().fields.values():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.Nested):
                reached.add(type(inner.schema))
    guarded = {schema for schema, _ in FREE_TEXT + LOT_FIELDS}
    assert guarded <= reached, f"add an endpoint for {guarded - reached}"
    attacked = {owner for *_, owner in CASES}
    for schema, name in FREE_TEXT + LOT_FIELDS:
        assert f"{schema.__name__}.{name}" in attacked, f"{schema.__name__}.{name} is not attacked"
    assert len(CASES) >= 30


def put(body: dict[str, Any], at: str, value: str) -> dict[str, Any]:
    """A copy of the body with the value at a dotted path (list index 0 made if missing)."""
    body = json.loads(json.dumps(body))
    node: Any = body
    parts = at.split(".")
    for part, after in itertools.pairwise(parts):
        if part.isdigit():
            node = node[int(part)]
        else:
            node = node.setdefault(part, [{}] if after.isdigit() else {})
    node[parts[-1]] = value
    return body


def _errors_name(errors: Any, at: str) -> bool:
    node = errors
    for part in at.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@pytest.mark.parametrize("case", CASES, ids=[f"{case[0].__name__}.{case[5]}" for case in CASES])
def test_a_national_id_in_any_string_field_is_refused_and_nothing_is_stored(world, case):
    schema, who, method, path, body, at, field, owner = case
    api = world[who]
    index = CASES.index(case)
    before = snapshot()
    is_lot = any(isinstance(v, LotNumber) for v in field.validators)
    for k in range(4):
        number, spelling = COMBOS[(index * 7 + k * 23) % len(COMBOS)]
        text = SPELLINGS[spelling](number)
        response = getattr(api, method)(path(world), put(body(world), at, text))
        assert response.status_code in (403, 404, 409, 422), (spelling, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert not contains_national_id(texts(response)), (spelling, texts(response))
        if not is_lot:
            assert response.status_code == 422
            assert _errors_name(response.get_json()["errors"], at), response.get_json()
        assert snapshot() == before, f"{spelling} of {number} changed the database"
    response = getattr(api, method)(path(world), body(world))
    assert response.status_code in (200, 201), response.get_json()  # the base body is fine


@pytest.mark.parametrize(
    ("schema", "name"), FREE_TEXT, ids=[f"{s.__name__}.{n}" for s, n in FREE_TEXT]
)
def test_every_kind_in_every_spelling_is_refused_by_every_free_text_field(schema, name):
    field = schema().fields[name]
    key = field.data_key or name
    for number in NATIONAL_IDS:
        for spelling, spell in SPELLINGS.items():
            value = spell(number)
            with pytest.raises(SchemaError) as refused:
                schema().load(
                    {key: [value] if isinstance(field, fields.List) else value}, partial=True
                )
            messages = refused.value.messages[key]
            assert str(NoNationalId.error) in str(messages), (spelling, number)
            assert not contains_national_id(str(refused.value.messages))


def test_a_refused_idempotency_key_is_not_stored(world):
    before = snapshot()
    key = SPELLINGS["6+5 nbsp"](NATIONAL_IDS[0]).replace("\u00a0", " ")
    response = world["staff_a"].post(
        "/tallies", tally_body(world["a"], {"SPR-2": 1}), headers={"Idempotency-Key": key}
    )
    assert response.status_code == 422
    assert not contains_national_id(texts(response))
    assert snapshot() == before


def test_a_national_id_as_an_unknown_field_name_is_not_echoed_in_any_spelling(world):
    for spelling, spell in SPELLINGS.items():
        body = {**tally_body(world["a"], {"SPR-2": 1}), spell(NATIONAL_IDS[0]): "x"}
        response = world["staff_a"].post("/tallies", body)
        assert response.status_code == 422
        assert not contains_national_id(texts(response)), spelling


def test_no_audit_event_holds_a_national_id_after_the_attack(world):
    """Belt and braces: after attacking the notes, the audit log has none."""
    for spell in SPELLINGS.values():
        world["staff_a"].post(
            "/tallies", {**tally_body(world["a"], {"SPR-2": 1}), "note": spell(NATIONAL_IDS[1])}
        )
    rows = db.session.scalars(select(AuditEvent)).all()
    assert not any(
        contains_national_id(json.dumps([e.before, e.after], ensure_ascii=False)) for e in rows
    )


def test_innocent_text_in_a_note_is_stored(world):
    from tests.reliability.test_national_id_spellings import INNOCENT

    for text in INNOCENT:
        body = {
            **tally_body(world["a"], {"SPR-2": 1}, day=today() - timedelta(days=1)),
            "note": text,
        }
        response = world["staff_a"].post("/tallies", body)
        assert response.status_code == 201, (text, response.get_json())
        assert response.get_json()["note"] == text
