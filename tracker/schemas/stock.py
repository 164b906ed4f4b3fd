"""Receipts, the ledger and stock on hand: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.stock import MOVEMENT_KINDS
from tracker.schemas.common import (
    CODE,
    DateRangeQuery,
    InSchema,
    QuerySchema,
    free_text,
    lot_number,
    quantity,
)


class ReceiptLineIn(InSchema):
    item = fields.String(required=True, validate=CODE)
    quantity = quantity(1, 1_000_000, required=True)
    lot = lot_number()
    expiry = fields.Date()


class ReceiptIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    lines = fields.List(
        fields.Nested(ReceiptLineIn), required=True, validate=validate.Length(1, 200)
    )
    note = free_text(2000, allow_none=True)
    confirm_lot_number = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A site lead confirms that a new lot number which looks like a "
            "national ID number is printed on the box (asked with a 422 "
            "lot-looks-like-national-id)."
        },
    )
    confirm_expired = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Receive a lot whose expiry date is before the receipt's date "
            "(to be discarded); without it such a lot is refused with a 422 "
            "lot-expired-on-receipt."
        },
    )


class MovementLineOut(Schema):
    item = fields.Function(lambda m: m.item.code)
    lot = fields.Function(lambda m: m.lot.lot_number if m.lot else None)
    expiry = fields.Function(lambda m: m.lot.expiry.isoformat() if m.lot and m.lot.expiry else None)
    quantity = fields.Integer()


class ReceiptOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda r: r.site.code)
    date = fields.Date(attribute="received_on")
    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(MovementLineOut), attribute="movements")


class MovementQuery(DateRangeQuery):
    site = fields.String(validate=CODE)
    item = fields.String(validate=CODE)
    kind = fields.String(validate=validate.OneOf(MOVEMENT_KINDS))


class MovementOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda m: m.site.code)
    item = fields.Function(lambda m: m.item.code)
    lot = fields.Function(lambda m: m.lot.lot_number if m.lot else None)
    kind = fields.String()
    quantity = fields.Integer()
    date = fields.Date(attribute="occurred_on")
    recorded_at = fields.DateTime()
    recorded_by_id = fields.Integer()
    reason = fields.String(allow_none=True)
    receipt_id = fields.Integer(allow_none=True)
    tally_id = fields.Integer(allow_none=True)
    naloxone_handout_id = fields.Integer(allow_none=True)
    transfer_id = fields.Integer(allow_none=True)
    stock_count_id = fields.Integer(allow_none=True)
    corrects_id = fields.Integer(allow_none=True)


class StockQuery(QuerySchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(
        metadata={
            "description": "On hand at the end of this day (YYYY-MM-DD); default today. "
            "With a date, the lines carry item, lot and quantity (and the date)."
        }
    )


class StockLineOut(Schema):
    site = fields.Function(lambda s: s.site.code)
    item = fields.Function(lambda s: s.item.code)
    category = fields.Function(lambda s: s.item.category)
    lot = fields.Function(lambda s: s.lot.lot_number if s.lot else None)
    expiry = fields.Function(lambda s: s.lot.expiry.isoformat() if s.lot and s.lot.expiry else None)
    quantity = fields.Integer()
    reorder_level = fields.Integer()
    target_level = fields.Integer()
    daily_usage = fields.Float()
    days_left = fields.Float(
        allow_none=True,
        metadata={
            "description": "The item's on hand (all lots) over its daily usage; null without "
            "usage or when nothing is on hand (see empty), never negative."
        },
    )
    empty = fields.Boolean(
        metadata={
            "description": "Nothing of the item on hand, or less than nothing (a discrepancy)."
        }
    )
    item_quantity = fields.Integer(metadata={"description": "On hand of the item, all lots."})
    expired = fields.Boolean()
    expires_within_90 = fields.Boolean()
    below_reorder = fields.Boolean()
    unmet_recent = fields.Integer(metadata={"description": "Asked for, not given, 4 weeks"})
    runs_out_before_delivery = fields.Boolean()
    discrepancy = fields.Boolean()
    date = fields.Date()
