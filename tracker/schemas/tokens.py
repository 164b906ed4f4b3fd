"""API tokens: the response schema (tokens are made at the command line, never over the API)."""

from marshmallow import Schema, fields

from tracker.models.base import utcnow


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The token's first characters."})
    user = fields.Function(lambda t: t.user.email, metadata={"description": "Owner's email."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(
        allow_none=True, metadata={"description": "Written at most hourly."}
    )
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    active = fields.Function(
        lambda t: t.revoked_at is None and t.expires_at > utcnow(),
        metadata={"description": "Neither revoked nor expired."},
    )
