"""Referrals, returns and contacts by group: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.events import REFERRAL_DESTINATIONS, RETURN_KINDS
from tracker.schemas.common import CODE, DateRangeQuery, InSchema, made_at, quantity

COUNT = 10_000


class ReferralIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    to = fields.String(
        required=True,
        validate=validate.OneOf(REFERRAL_DESTINATIONS),
        metadata={"description": "lar_tsb, legevakt, nav, housing, somatic_care or other."},
    )
    count = quantity(1, COUNT, required=True)
    made_at = made_at()


class ReturnIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(RETURN_KINDS),
        metadata={
            "description": "container_small (up to 2 litres), container_large, or pieces "
            "(used syringes and needles counted one by one)."
        },
    )
    count = quantity(1, COUNT, required=True)


class GroupsIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    women = quantity(0, COUNT, load_default=0)
    men = quantity(0, COUNT, load_default=0)
    other_gender = quantity(0, COUNT, load_default=0, metadata={"description": "Other or unknown."})
    first_visit = quantity(0, COUNT, load_default=0, metadata={"description": "First this year."})
    repeat_visit = quantity(0, COUNT, load_default=0, metadata={"description": "Returning."})


class DayCountQuery(DateRangeQuery):
    site = fields.String(validate=CODE)


class ReferralOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda r: r.site.code)
    date = fields.Date(attribute="referred_on")
    to = fields.String(attribute="destination")
    count = fields.Integer(attribute="quantity")


class ReturnOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda r: r.site.code)
    date = fields.Date(attribute="returned_on")
    kind = fields.String()
    count = fields.Integer(attribute="quantity")


class GroupsOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda r: r.site.code)
    date = fields.Date(attribute="counted_on")
    women = fields.Integer()
    men = fields.Integer()
    other_gender = fields.Integer()
    first_visit = fields.Integer()
    repeat_visit = fields.Integer()
