"""Delivery days of a site: body and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.dates import today
from tracker.schemas.common import InSchema, quantity


class DeliveriesIn(InSchema):
    weekdays = fields.List(
        quantity(1, 7),
        required=True,
        validate=validate.Length(max=7),
        metadata={"description": "ISO weekdays, 1 Monday .. 7 Sunday"},
    )
    dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=100))
    lead_time_days = quantity(0, 60, load_default=0)


def _next_delivery(deliveries) -> str | None:  # noqa: ANN001
    found = deliveries.next_after(today())
    return found.isoformat() if found else None


class DeliveriesOut(Schema):
    site = fields.Function(lambda d: d.site.code)
    weekdays = fields.List(fields.Integer())
    dates = fields.List(fields.Date())
    lead_time_days = fields.Integer()
    next_delivery = fields.Function(_next_delivery)
