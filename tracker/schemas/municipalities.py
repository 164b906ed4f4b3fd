"""Municipalities: body and response schemas."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.schemas.common import InSchema, free_text

NUMBER = validate.Regexp(r"^[0-9]{4}$", error=_l("Et kommunenummer har 4 sifre."))


class MunicipalityIn(InSchema):
    number = fields.String(required=True, validate=NUMBER)
    name = free_text(100, min_length=1, required=True)


class MunicipalityPatch(InSchema):
    name = free_text(100, min_length=1, required=True)


class MunicipalityOut(Schema):
    number = fields.String(metadata={"description": "Kommunenummer (4 digits)."})
    name = fields.String()
