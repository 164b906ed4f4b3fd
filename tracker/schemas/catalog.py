"""Catalogue items: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.catalog import CATEGORIES
from tracker.schemas.common import CODE, InSchema, NoNationalId, QuerySchema, free_text


class ItemIn(InSchema):
    code = fields.String(required=True, validate=[CODE, NoNationalId()])
    name_nb = free_text(200, required=True)
    name_en = free_text(200, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    unit = free_text(20, load_default="stk", min_length=1)
    tracks_lots = fields.Boolean(load_default=False)
    sort_order = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 10_000))


class ItemPatch(InSchema):
    name_nb = free_text(200)
    name_en = free_text(200)
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    unit = free_text(20, min_length=1)
    tracks_lots = fields.Boolean()
    active = fields.Boolean()
    sort_order = fields.Integer(strict=True, validate=validate.Range(0, 10_000))


class ItemQuery(QuerySchema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    active = fields.Boolean()


class ItemOut(Schema):
    code = fields.String()
    name_nb = fields.String()
    name_en = fields.String()
    category = fields.String()
    unit = fields.String()
    tracks_lots = fields.Boolean()
    active = fields.Boolean()
    sort_order = fields.Integer()
