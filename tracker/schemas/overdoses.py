"""Overdose events: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.events import OVERDOSE_OUTCOMES, OVERDOSE_PLACES
from tracker.schemas.common import (
    CODE,
    DateRangeQuery,
    InSchema,
    free_text,
    lot_number,
    made_at,
    quantity,
)

PLACE = {"description": "Where: at_site, outreach or elsewhere."}
OUTCOME = {"description": "recovered_on_site, to_hospital, died or unknown."}
DOSES = {
    "description": "Naloxone doses staff gave, taken from the site's stock as used_on_site "
    "(one dose is one unit of the naloxone item); not distribution."
}


class OverdoseIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    place = fields.String(required=True, validate=validate.OneOf(OVERDOSE_PLACES), metadata=PLACE)
    outcome = fields.String(
        required=True, validate=validate.OneOf(OVERDOSE_OUTCOMES), metadata=OUTCOME
    )
    naloxone_doses = quantity(0, 20, load_default=0, metadata=DOSES)
    item = fields.String(validate=CODE)
    lot = lot_number()
    oxygen_given = fields.Boolean(load_default=False)
    cpr_given = fields.Boolean(load_default=False)
    ambulance_called = fields.Boolean(load_default=False)
    note = free_text(2000, allow_none=True)
    made_at = made_at()


class OverdosePatch(InSchema):
    date = fields.Date()
    place = fields.String(validate=validate.OneOf(OVERDOSE_PLACES), metadata=PLACE)
    outcome = fields.String(validate=validate.OneOf(OVERDOSE_OUTCOMES), metadata=OUTCOME)
    naloxone_doses = quantity(0, 20, metadata=DOSES)
    item = fields.String(validate=CODE)
    lot = lot_number()
    oxygen_given = fields.Boolean()
    cpr_given = fields.Boolean()
    ambulance_called = fields.Boolean()
    note = free_text(2000, allow_none=True)


class OverdoseQuery(DateRangeQuery):
    site = fields.String(validate=CODE)
    include_deleted = fields.Boolean(load_default=False)


class OverdoseOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda e: e.site.code)
    date = fields.Date(attribute="event_date")
    place = fields.String()
    naloxone_doses = fields.Integer()
    item = fields.Function(lambda e: e.item.code if e.item else None)
    lot = fields.Function(lambda e: e.lot.lot_number if e.lot else None)
    oxygen_given = fields.Boolean()
    cpr_given = fields.Boolean()
    ambulance_called = fields.Boolean()
    outcome = fields.String()
    note = fields.String(allow_none=True)
    deleted = fields.Function(lambda e: e.deleted_at is not None)
    version = fields.Integer(
        metadata={"description": "Bumped by every change; the ETag header is this in quotes."}
    )
