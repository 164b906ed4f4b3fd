"""Sites: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.sites import SITE_KINDS, SITE_OPERATORS
from tracker.schemas.common import CODE, InSchema, NoNationalId, QuerySchema, free_text


class SiteIn(InSchema):
    code = fields.String(required=True, validate=[CODE, NoNationalId()])
    name = free_text(200, required=True)
    municipality = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}$"))
    kind = fields.String(required=True, validate=validate.OneOf(SITE_KINDS))
    operator = fields.String(
        load_default="municipal",
        validate=validate.OneOf(SITE_OPERATORS),
        metadata={"description": "Who runs the site: municipal, ngo or other."},
    )


WEEKDAYS = fields.List(
    fields.Integer(strict=True, validate=validate.Range(1, 7)),
    validate=validate.Length(1, 7),
    metadata={
        "description": "ISO weekdays the site is open, 1 Monday .. 7 Sunday (default [1,2,3,4,5]); "
        "a site lead may change this alone."
    },
)


class SitePatch(InSchema):
    name = free_text(200)
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))
    operator = fields.String(validate=validate.OneOf(SITE_OPERATORS))
    active = fields.Boolean()
    opening_weekdays = WEEKDAYS
    contacts_by_group = fields.Boolean(
        metadata={"description": "Whether the daily form asks for contacts by group."}
    )
    stock_start = fields.Date(
        metadata={
            "description": "Stock is tracked from this day (invariant 9); the site's "
            "lead may set it earlier than it is (or than the first stock movement)."
        }
    )


class SiteQuery(QuerySchema):
    municipality = fields.String(validate=validate.Regexp(r"^[0-9]{4}$"))
    active = fields.Boolean()


class SiteOut(Schema):
    code = fields.String()
    name = fields.String()
    municipality = fields.Function(lambda s: s.municipality.number)
    municipality_name = fields.Function(lambda s: s.municipality.name)
    kind = fields.String()
    operator = fields.String()
    active = fields.Boolean()
    opening_weekdays = fields.List(fields.Integer(), attribute="weekdays")
    contacts_by_group = fields.Boolean()
    stock_start = fields.Date(allow_none=True)


class LevelsIn(InSchema):
    reorder_level = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, 1_000_000)
    )
    target_level = fields.Integer(strict=True, required=True, validate=validate.Range(0, 1_000_000))


class LevelsOut(Schema):
    reorder_level = fields.Integer()
    target_level = fields.Integer()


class SiteItemIn(InSchema):
    """A change to one item at one site: on or off, and its levels (all optional)."""

    active = fields.Boolean(truthy={True}, falsy={False})
    reorder_level = fields.Integer(strict=True, validate=validate.Range(0, 1_000_000))
    target_level = fields.Integer(strict=True, validate=validate.Range(0, 1_000_000))


class SiteItemOut(Schema):
    site = fields.String()
    item = fields.String()
    active = fields.Boolean()
    reorder_level = fields.Integer()
    target_level = fields.Integer()
