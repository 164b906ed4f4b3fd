"""Audit events: query and response schemas (the log is read-only)."""

from marshmallow import Schema, fields, validate

from tracker.schemas.common import CODE, DateRangeQuery


class AuditQuery(DateRangeQuery):
    user = fields.String(validate=validate.Length(1, 254), metadata={"description": "Email."})
    site = fields.String(validate=CODE)
    entity = fields.String(validate=validate.Length(1, 40))


class AuditEventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user = fields.Function(lambda e: e.user.email if e.user else None, allow_none=True)
    token_id = fields.Integer(allow_none=True)
    site = fields.Function(lambda e: e.site.code if e.site else None, allow_none=True)
    entity = fields.String()
    entity_id = fields.String()
    action = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
