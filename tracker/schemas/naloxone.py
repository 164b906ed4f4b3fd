"""Naloxone handouts: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.distribution import RECIPIENT_GROUPS, REFILL_REASONS
from tracker.schemas.common import CODE, DateRangeQuery, InSchema, lot_number, quantity


class HandoutIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    quantity = quantity(1, 50, required=True)
    item = fields.String(validate=CODE)
    lot = lot_number()
    recipient_group = fields.String(required=True, validate=validate.OneOf(RECIPIENT_GROUPS))
    first_time = fields.Boolean(required=True)
    refill_reason = fields.String(allow_none=True, validate=validate.OneOf(REFILL_REASONS))
    training_given = fields.Boolean(required=True)
    handed_out_by = fields.Integer(
        strict=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "User id of the staff member who handed it out; you if left out"},
    )
    made_at = fields.DateTime(
        metadata={
            "description": "When the entry was made on the device (offline clients); staff may "
            "date it up to BACKDATE_DAYS before this, never counted from later than now."
        }
    )


class HandoutPatch(InSchema):
    """A change to a handout: any of the fields; a named lot takes all its kits."""

    date = fields.Date()
    quantity = quantity(1, 50)
    lot = lot_number(allow_none=True)
    recipient_group = fields.String(validate=validate.OneOf(RECIPIENT_GROUPS))
    first_time = fields.Boolean()
    refill_reason = fields.String(allow_none=True, validate=validate.OneOf(REFILL_REASONS))
    training_given = fields.Boolean()


class HandoutLotOut(Schema):
    lot = fields.Function(lambda t: t[0].lot_number if t[0] else None)
    expiry = fields.Function(lambda t: t[0].expiry.isoformat() if t[0] and t[0].expiry else None)
    quantity = fields.Function(lambda t: t[1])


class HandoutQuery(DateRangeQuery):
    site = fields.String(validate=CODE)


class HandoutOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda h: h.site.code)
    date = fields.Date(attribute="handed_out_on")
    item = fields.Function(lambda h: h.item.code)
    lot = fields.Function(lambda h: h.lot.lot_number if h.lot else None)
    expiry = fields.Function(lambda h: h.lot.expiry.isoformat() if h.lot and h.lot.expiry else None)
    quantity = fields.Integer()
    recipient_group = fields.String()
    first_time = fields.Boolean()
    refill_reason = fields.String(allow_none=True)
    training_given = fields.Boolean()
    handed_out_by = fields.Integer(attribute="handed_out_by_id", allow_none=True)
    lots = fields.List(
        fields.Nested(HandoutLotOut),
        metadata={"description": "Kits per lot, first expiry first out (the split)."},
    )
    version = fields.Integer()
    deleted = fields.Function(lambda h: h.deleted_at is not None)
