"""Catalogue items: body, query and response schemas."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.schemas.common import CODE, InSchema, NoNationalId, QuerySchema, free_text

CATEGORY = validate.Regexp(
    r"^[a-z][a-z0-9_]{1,19}$", error=_l("Bruk 2–20 små bokstaver, sifre eller _.")
)
CATEGORY_DOC = {"description": "A category code (GET /categories): unknown codes get 422."}


class ItemIn(InSchema):
    code = fields.String(required=True, validate=[CODE, NoNationalId()])
    name_nb = free_text(200, required=True)
    name_en = free_text(200, required=True)
    category = fields.String(required=True, validate=CATEGORY, metadata=CATEGORY_DOC)
    unit = free_text(20, load_default="stk", min_length=1)
    tracks_lots = fields.Boolean(load_default=False)
    sort_order = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 10_000))


class ItemPatch(InSchema):
    name_nb = free_text(200)
    name_en = free_text(200)
    category = fields.String(validate=CATEGORY, metadata=CATEGORY_DOC)
    unit = free_text(20, min_length=1)
    tracks_lots = fields.Boolean()
    active = fields.Boolean()
    sort_order = fields.Integer(strict=True, validate=validate.Range(0, 10_000))


class ItemQuery(QuerySchema):
    category = fields.String(validate=CATEGORY, metadata=CATEGORY_DOC)
    active = fields.Boolean()


class KitLine(InSchema):
    item = fields.String(required=True, validate=CODE)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 10_000))


class KitContentsIn(InSchema):
    contents = fields.List(
        fields.Nested(KitLine),
        required=True,
        validate=validate.Length(max=50),
        metadata={
            "description": "What one kit holds; [] makes the item a plain item again. "
            "Fixed once the kit has movements (409 kit-locked: add a new kit)."
        },
    )


class KitLineOut(Schema):
    item = fields.Function(lambda line: line.item.code)
    quantity = fields.Integer()


class ItemOut(Schema):
    code = fields.String()
    name_nb = fields.String()
    name_en = fields.String()
    category = fields.String()
    unit = fields.String()
    tracks_lots = fields.Boolean()
    active = fields.Boolean()
    sort_order = fields.Integer()
    kit = fields.Boolean(
        attribute="is_kit",
        metadata={"description": "A kit (brukerpakke): reports count its contents, not it."},
    )
    contents = fields.List(fields.Nested(KitLineOut))
