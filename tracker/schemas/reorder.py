"""Reorder list, days left and expiring lots: query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.schemas.common import CODE, QuerySchema


class ReorderQuery(QuerySchema):
    site = fields.String(validate=CODE)


class ExpiringQuery(QuerySchema):
    site = fields.String(validate=CODE)
    days = fields.Integer(load_default=90, validate=validate.Range(1, 3650))


class ReorderLineOut(Schema):
    site = fields.Function(lambda r: r.site.code)
    item = fields.Function(lambda r: r.item.code)
    on_hand = fields.Integer()
    usable = fields.Integer()
    in_transit = fields.Integer()
    reorder_level = fields.Integer()
    target_level = fields.Integer()
    daily_usage = fields.Float()
    days_left = fields.Float(allow_none=True)
    empty = fields.Boolean()
    below_reorder = fields.Boolean()
    suggested = fields.Integer()
    unmet_recent = fields.Integer(metadata={"description": "Asked for, not given, 4 weeks"})
    alert_factor = fields.Float(metadata={"description": "On naloxone usage during an alert"})
    next_delivery = fields.Date(allow_none=True)
    cover_until = fields.Date(allow_none=True)


class SuggestionOut(Schema):
    site = fields.String()
    quantity = fields.Integer()
    will_use = fields.Float()
    holds = fields.Integer()


class ExpiringOut(Schema):
    site = fields.Function(lambda e: e.site.code)
    item = fields.Function(lambda e: e.item.code)
    lot = fields.Function(lambda e: e.lot.lot_number)
    expiry = fields.Function(lambda e: e.lot.expiry.isoformat())
    quantity = fields.Integer()
    days_to_expiry = fields.Integer()
    within = fields.Integer()
    expired = fields.Boolean()
    daily_usage = fields.Float()
    used_before_expiry = fields.Boolean()
    faster_sites = fields.List(fields.String())
    moves = fields.List(
        fields.Nested(SuggestionOut),
        metadata={
            "description": "Per faster site: floor(its rate x days to expiry - what it holds "
            "of the item expiring no later), at most what the sender holds usable above its "
            "reorder level, and the lot."
        },
    )
    suggestion = fields.Nested(SuggestionOut, allow_none=True)
