"""Discards: body and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.stock import DISCARD_REASONS
from tracker.schemas.common import CODE, InSchema, free_text, lot_number, quantity


class DiscardIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    item = fields.String(required=True, validate=CODE)
    lot = lot_number()
    quantity = quantity(1, 1_000_000, required=True)
    reason = fields.String(required=True, validate=validate.OneOf(DISCARD_REASONS))
    note = free_text(2000, allow_none=True)


class DiscardOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda m: m.site.code)
    item = fields.Function(lambda m: m.item.code)
    lot = fields.Function(lambda m: m.lot.lot_number if m.lot else None)
    quantity = fields.Function(lambda m: -m.quantity)
    date = fields.Date(attribute="occurred_on")
    reason = fields.String()
