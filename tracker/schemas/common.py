"""Schema building blocks shared by every resource."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from tracker.national_id import contains_national_id

CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,31}$", error=_l("Bruk 2–32 bokstaver, sifre, - eller _.")
)


class NoNationalId(validate.Validator):
    """Refuse text holding a fødselsnummer, D- or H-number; the message never echoes it."""

    error = _l("Inneholder noe som ser ut som et fødselsnummer.")

    def __call__(self, value: str) -> str:
        if contains_national_id(value):
            raise validate.ValidationError(str(self.error))
        return value


def free_text(
    max_length: int = 2000, min_length: int | None = None, **kwargs: Any
) -> fields.String:
    """A text field people type into: length-limited and never holding a national ID."""
    length = validate.Length(min=min_length, max=max_length)
    return fields.String(validate=[length, NoNationalId()], **kwargs)


class LotNumber(validate.Length):
    """A lot number as printed on the box: an identifier, not free text.

    It names an existing lot, or a new one at a receipt; the service asks a site lead to
    confirm a new lot number that validates as a national ID (stock.resolve_lot).
    """

    def __init__(self) -> None:
        super().__init__(max=64)


def lot_number(**kwargs: Any) -> fields.String:
    return fields.String(validate=LotNumber(), **kwargs)


def quantity(minimum: int, maximum: int, **kwargs: Any) -> fields.Integer:
    """Strict integers: 2.6 is refused, not truncated (see STACK.md)."""
    return fields.Integer(strict=True, validate=validate.Range(minimum, maximum), **kwargs)


class InSchema(Schema):
    """Request bodies: unknown fields are refused."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query arguments: unknown names are ignored (pagination adds its own)."""

    class Meta:
        unknown = EXCLUDE


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "Why, in the language of Accept-Language"})
    code = fields.String(metadata={"description": "A finer machine code, e.g. lot-required"})
    errors = fields.Dict()


class DateRangeQuery(QuerySchema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


def made_at() -> fields.DateTime:
    """The device's time of an entry queued offline: the backdating window counts from it."""
    return fields.DateTime(
        metadata={
            "description": "When the entry was made on the device (offline clients); staff may "
            "date it up to BACKDATE_DAYS before this, never counted from later than now."
        }
    )
