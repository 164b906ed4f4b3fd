"""Privacy guard: every free-text field refuses Norwegian national ID numbers, never echoes them.

Covers fødselsnummer, D-numbers (day + 40), H-numbers (month + 40), the pre-2032 and the
2032 check-digit rule (STACK.md), and near misses that must pass (11-digit lot numbers).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from marshmallow import Schema, ValidationError, fields, validate

import tracker.schemas
from tests.factories import api_client, make_item, make_site, make_user, receipt_body, tally_body
from tracker.extensions import db
from tracker.models import AuditEvent, TallyEntry
from tracker.privacy import is_national_id
from tracker.schemas.common import InSchema, LotNumber, NoNationalId

K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def with_check_digits(first_nine: str) -> str | None:
    """Append both check digits by the pre-2032 rule; None when a digit would be 10."""
    digits = [int(c) for c in first_nine]
    for weights in (K1, K2):
        rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
        rest = 0 if rest == 11 else rest
        if rest == 10:
            return None
        digits.append(rest)
    return "".join(map(str, digits))


def first_valid(prefix: str) -> str:
    """The first valid number with this 6-digit date and any individual number."""
    for individual in range(100, 1000):
        number = with_check_digits(f"{prefix}{individual}")
        if number:
            return number
    raise AssertionError(prefix)


FODSELSNUMMER = ["31129956715", "02013299997", "30108299920", first_valid("150385")]
D_NUMBERS = [first_valid("550385"), first_valid("710199")]  # 15.03.85 and 31.01.99, day + 40
H_NUMBERS = [first_valid("154385"), first_valid("015299")]  # month + 40
RULE_2032 = ["30108299939"]  # valid only by the 2032 rule for k1
NATIONAL_IDS = FODSELSNUMMER + D_NUMBERS + H_NUMBERS + RULE_2032

NEAR_MISSES = [
    "31129956716",  # last check digit wrong
    "31129956705",  # first check digit wrong (and not valid by the 2032 rule)
    "12345678901",
    "00000000000",  # day zero
    first_valid("321385"),  # check digits right, but day 32
    first_valid("011385"),  # check digits right, but month 13
    "99999999999",
    "3112995671",  # ten digits
    "311299567150",  # twelve digits
]


@pytest.mark.parametrize("number", NATIONAL_IDS)
def test_valid_national_ids_are_recognised(number):
    assert is_national_id(number)


@pytest.mark.parametrize("number", NEAR_MISSES)
def test_near_misses_are_not_national_ids(number):
    assert not is_national_id(number)


def test_the_2032_example_fails_the_old_first_check_digit_rule():
    digits = [int(c) for c in "30108299939"]
    rest = 11 - sum(d * w for d, w in zip(digits, K1, strict=False)) % 11
    assert rest != digits[9]


def _in_schemas() -> list[type[Schema]]:
    found = []
    for module in pkgutil.iter_modules(tracker.schemas.__path__):
        loaded = importlib.import_module(f"tracker.schemas.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, InSchema) and cls is not InSchema and cls not in found:
                found.append(cls)
    return found


def _constrained(field: fields.Field) -> bool:
    """A string that can only be a code, a choice or a pattern is not free text."""
    validators = field.validators
    return any(isinstance(v, validate.OneOf | validate.Regexp | validate.Email) for v in validators)


def _is_lot_number(field: fields.Field) -> bool:
    return any(isinstance(v, LotNumber) for v in field.validators)


def _string_fields(lots: bool) -> list[tuple[type[Schema], str]]:
    result = []
    for schema in _in_schemas():
        for name, field in schema().fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            string = isinstance(inner, fields.String) and not _constrained(inner)
            if string and _is_lot_number(inner) == lots:
                result.append((schema, name))
    return result


FREE_TEXT = _string_fields(lots=False)
LOT_FIELDS = _string_fields(lots=True)


def test_there_are_free_text_fields_to_guard():
    names = {f"{schema.__name__}.{name}" for schema, name in FREE_TEXT}
    assert {"TallyIn.note", "ItemIn.unit", "CancelIn.reason"} <= names
    lots = {f"{schema.__name__}.{name}" for schema, name in LOT_FIELDS}
    assert {"ReceiptLineIn.lot", "TransferLineIn.lot", "DiscardIn.lot"} <= lots
    assert all(name == "lot" for _, name in LOT_FIELDS), "only lot numbers are identifiers"


@pytest.mark.parametrize(
    ("schema", "name"), FREE_TEXT, ids=[f"{s.__name__}.{n}" for s, n in FREE_TEXT]
)
def test_every_free_text_field_refuses_a_national_id(schema, name):
    field = schema().fields[name]
    inner = field.inner if isinstance(field, fields.List) else field
    assert any(isinstance(v, NoNationalId) for v in inner.validators), (
        f"{schema.__name__}.{name} is free text without the national ID guard: use free_text()"
    )
    for number in (NATIONAL_IDS[0], D_NUMBERS[0], H_NUMBERS[0], RULE_2032[0]):
        text = f"Ga til {number[:6]} {number[6:]}" if len(number) == 11 else number
        value = [text] if isinstance(field, fields.List) else text
        with pytest.raises(ValidationError) as refused:
            schema().load({field.data_key or name: value}, partial=True)
        assert number not in str(refused.value.messages)
        assert number[6:] not in str(refused.value.messages)


@pytest.mark.parametrize(
    ("schema", "name"), FREE_TEXT, ids=[f"{s.__name__}.{n}" for s, n in FREE_TEXT]
)
def test_free_text_fields_accept_eleven_digit_lot_numbers(schema, name):
    field = schema().fields[name]
    maximum = next(
        (v.max for v in field.validators if isinstance(v, validate.Length) and v.max), 2000
    )
    for number in ("31129956716", "12345678901"):
        value = number[:maximum]
        schema().load({field.data_key or name: value}, partial=True)


def test_the_api_refuses_a_national_id_in_a_note_and_never_echoes_it(client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    api = api_client(client, make_user("staff", [site]))
    number = D_NUMBERS[0]
    body = {**tally_body(site, {"SPR-2": 3}), "note": f"Bruker {number} fikk 3"}
    response = api.post("/tallies", body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "note" in response.get_json()["errors"]
    assert number not in response.get_data(as_text=True)
    assert db.session.query(TallyEntry).count() == 0
    assert db.session.query(AuditEvent).filter(AuditEvent.entity == "tally").count() == 0


def test_the_api_asks_about_a_new_lot_number_like_a_national_id(client):
    site = make_site("OSL-MO")
    make_item("NAL-1", category="naloxone")
    api = api_client(client, make_user("lead", [site]))
    body = receipt_body(site, {"NAL-1": 5})
    body["lines"][0].update(lot=H_NUMBERS[0], expiry="2030-01-01")
    response = api.post("/receipts", body)
    assert response.status_code == 422
    assert response.get_json()["type"] == "/problems/lot-looks-like-national-id"
    assert H_NUMBERS[0] not in response.get_data(as_text=True)
    body["lines"][0]["lot"] = "31129956716"  # an 11-digit lot number that fails the check
    assert api.post("/receipts", body).status_code == 201


def test_a_national_id_sent_as_a_field_name_is_not_echoed(client):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    api = api_client(client, make_user("staff", [site]))
    body = {**tally_body(site, {"SPR-2": 3}), FODSELSNUMMER[0]: "x"}
    response = api.post("/tallies", body)
    assert response.status_code == 422
    assert FODSELSNUMMER[0] not in response.get_data(as_text=True)


def _form_classes() -> list[type]:
    from flask_wtf import FlaskForm

    import tracker.web

    found = []
    for module in pkgutil.iter_modules(tracker.web.__path__):
        loaded = importlib.import_module(f"tracker.web.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm and cls not in found:
                found.append(cls)
    return found


def test_every_stored_free_text_form_field_refuses_a_national_id(app):
    """Page forms too: a form that stores what is typed guards each free-text field.

    Forms that store nothing (GET filters) say so with READ_ONLY = True.
    """
    from wtforms import EmailField, PasswordField, StringField, TextAreaField
    from wtforms.validators import AnyOf, Regexp

    from tracker.web.forms import EntryDate, OptionalDate, WholeNumber
    from tracker.web.validators import LotNumber as LotGuard
    from tracker.web.validators import NoNationalId as FormGuard

    constrained = (AnyOf, Regexp, EntryDate, OptionalDate, WholeNumber)  # not free text
    unguarded = []
    with app.test_request_context():
        forms = [form_class(meta={"csrf": False}) for form_class in _form_classes()]
        for form in forms + _built_forms():
            if getattr(form, "READ_ONLY", False):
                continue
            for field in form:
                if not isinstance(field, StringField | TextAreaField) or isinstance(
                    field, PasswordField | EmailField
                ):
                    continue
                if any(isinstance(v, constrained) for v in field.validators):
                    continue
                guards = (FormGuard, LotGuard) if field.name.startswith("lot") else FormGuard
                if not any(isinstance(v, guards) for v in field.validators):
                    unguarded.append(f"{type(form).__name__}.{field.name}")
    assert not unguarded, f"Add tracker.web.validators.NoNationalId() to: {unguarded}"


def _built_forms() -> list:
    """The forms a page builds per site (one field per item): a site with two items."""
    from types import SimpleNamespace

    from tracker.models import Item
    from tracker.web.stock import receive_form
    from tracker.web.tallies import tally_form

    items = [
        Item(id=1, code="SPR", name_nb="Sprøyte", name_en="Syringe", category="syringe"),
        Item(id=2, code="NAL", name_nb="Nalokson", name_en="Naloxone", category="naloxone"),
    ]
    items[0].tracks_lots, items[1].tracks_lots = False, True
    screen = SimpleNamespace(groups=[("syringe", items[:1]), ("naloxone", items[1:])])
    return [build(screen, meta={"csrf": False}) for build in (tally_form, receive_form)]


def test_the_form_validator_refuses_without_echoing(app):
    from flask_wtf import FlaskForm
    from wtforms import TextAreaField

    from tracker.web.validators import NoNationalId as FormGuard

    class NoteForm(FlaskForm):
        note = TextAreaField(validators=[FormGuard()])

    with app.test_request_context(method="POST", data={"note": f"fnr {D_NUMBERS[0]}"}):
        form = NoteForm(meta={"csrf": False})
        assert not form.validate()
        assert D_NUMBERS[0] not in str(form.errors)
    with app.test_request_context(method="POST", data={"note": "lot 31129956716"}):
        assert NoteForm(meta={"csrf": False}).validate()
