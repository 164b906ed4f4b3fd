"""Drug alerts: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.supply import ALERT_SEVERITIES
from tracker.schemas.common import InSchema, QuerySchema, free_text


class AlertIn(InSchema):
    title = free_text(200, 1, required=True)
    text = free_text(4000, 1, required=True)
    severity = fields.String(required=True, validate=validate.OneOf(ALERT_SEVERITIES))
    municipality = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^\d{4}$"),
        metadata={"description": "Kommunenummer; null or left out for a national alert"},
    )
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)


class AlertQuery(QuerySchema):
    active = fields.Boolean()


class AlertOut(Schema):
    id = fields.Integer()
    title = fields.String()
    text = fields.String()
    severity = fields.String()
    municipality = fields.Function(lambda a: a.municipality.number if a.municipality else None)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
