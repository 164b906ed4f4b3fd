"""Discrepancies: query, body and response schemas."""

from marshmallow import Schema, fields

from tracker.schemas.common import CODE, InSchema, QuerySchema, free_text


class DiscrepancyQuery(QuerySchema):
    site = fields.String(validate=CODE)
    open = fields.Boolean(load_default=False)


class ResolveIn(InSchema):
    note = free_text(2000, required=True)


class DiscrepancyOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda d: d.site.code)
    item = fields.Function(lambda d: d.item.code)
    lot = fields.Function(lambda d: d.lot.lot_number if d.lot else None)
    kind = fields.String()
    naloxone_handout = fields.Integer(attribute="naloxone_handout_id", allow_none=True)
    quantity = fields.Integer()
    detected_on = fields.Date()
    stock_count_id = fields.Integer(allow_none=True)
    transfer_id = fields.Integer(allow_none=True)
    reason = fields.String(
        allow_none=True, metadata={"description": "A count variance's reason, per counted line."}
    )
    resolved = fields.Function(lambda d: d.resolved_at is not None)
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by_id = fields.Integer(allow_none=True)
    resolved_by = fields.Function(lambda d: d.resolved_by.name if d.resolved_by else None)
    resolution = fields.String(allow_none=True)
