"""Transfers between sites: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.transfers import TRANSFER_STATUSES
from tracker.schemas.common import CODE, InSchema, QuerySchema, free_text, lot_number, quantity


class TransferLineIn(InSchema):
    item = fields.String(required=True, validate=CODE)
    lot = lot_number()
    quantity = quantity(1, 1_000_000, required=True)


class TransferIn(InSchema):
    from_site = fields.String(required=True, validate=CODE, data_key="from")
    to_site = fields.String(required=True, validate=CODE, data_key="to")
    date = fields.Date(required=True)
    lines = fields.List(
        fields.Nested(TransferLineIn), required=True, validate=validate.Length(1, 100)
    )
    note = free_text(2000, allow_none=True)


class ReceivedLineIn(InSchema):
    line_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, 2**31 - 1))
    quantity = quantity(0, 1_000_000, required=True)


class ReceiveIn(InSchema):
    date = fields.Date(required=True)
    lines = fields.List(fields.Nested(ReceivedLineIn), validate=validate.Length(1, 100))
    note = free_text(2000, allow_none=True)


class CancelIn(InSchema):
    reason = free_text(2000, required=True)


class TransferQuery(QuerySchema):
    site = fields.String(validate=CODE)
    status = fields.String(validate=validate.OneOf(TRANSFER_STATUSES))


class TransferLineOut(Schema):
    id = fields.Integer()
    item = fields.Function(lambda line: line.item.code)
    lot = fields.Function(lambda line: line.lot.lot_number if line.lot else None)
    expiry = fields.Function(
        lambda line: line.lot.expiry.isoformat() if line.lot and line.lot.expiry else None
    )
    quantity_shipped = fields.Integer()
    quantity_received = fields.Integer(allow_none=True)
    shortfall = fields.Function(
        lambda line: (
            None
            if line.quantity_received is None
            else line.quantity_shipped - line.quantity_received
        )
    )


class TransferOut(Schema):
    id = fields.Integer()
    from_site = fields.Function(lambda t: t.from_site.code, data_key="from")
    to_site = fields.Function(lambda t: t.to_site.code, data_key="to")
    status = fields.String()
    in_transit = fields.Function(lambda t: t.status == "shipped")
    shipped_on = fields.Date()
    received_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(TransferLineOut))
