"""Reporting categories: body and response schemas."""

from marshmallow import Schema, fields

from tracker.schemas.catalog import CATEGORY
from tracker.schemas.common import InSchema, free_text


class CategoryIn(InSchema):
    code = fields.String(required=True, validate=CATEGORY)
    name_nb = free_text(100, min_length=1, required=True)
    name_en = free_text(100, min_length=1, required=True)


class CategoryPatch(InSchema):
    name_nb = free_text(100, min_length=1)
    name_en = free_text(100, min_length=1)


class CategoryOut(Schema):
    code = fields.String()
    name_nb = fields.String()
    name_en = fields.String()
    fixed = fields.Boolean(
        metadata={"description": "One of the six fixed categories; its names do not change."}
    )
    sort_order = fields.Integer()
