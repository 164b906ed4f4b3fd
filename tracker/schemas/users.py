"""User accounts: body and response schemas (passwords go in, never out)."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.models.auth import GLOBAL_ROLES, ROLES, SITE_ROLES
from tracker.schemas.common import CODE, InSchema, free_text

NUMBER = validate.Regexp(r"^[0-9]{4}$", error=_l("Et kommunenummer har 4 sifre."))


class MembershipSchema(InSchema):
    site = fields.String(required=True, validate=CODE)
    role = fields.String(required=True, validate=validate.OneOf(SITE_ROLES))


class UserIn(InSchema):
    """As `flask users create`: one role; staff and leads need sites."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = free_text(200, min_length=1, required=True)
    # Kept only as a hash; still no national ID number as a password.
    password = free_text(200, required=True, load_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    sites = fields.List(fields.String(validate=CODE), load_default=list)
    municipality = fields.String(
        validate=NUMBER,
        load_default=None,
        allow_none=True,
        metadata={"description": "For a coordinator of one municipality (kommunenummer)."},
    )


class UserPatch(InSchema):
    """Change an account; `memberships` replaces the whole list."""

    name = free_text(200, min_length=1)
    active = fields.Boolean()
    global_role = fields.String(validate=validate.OneOf(GLOBAL_ROLES), allow_none=True)
    municipality = fields.String(validate=NUMBER, allow_none=True)
    memberships = fields.List(fields.Nested(MembershipSchema))


class MembershipOut(Schema):
    site = fields.Function(lambda m: m.site.code)
    role = fields.String()


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    active = fields.Boolean()
    global_role = fields.String(allow_none=True)
    municipality = fields.Function(
        lambda u: u.municipality.number if u.municipality else None, allow_none=True
    )
    memberships = fields.List(fields.Nested(MembershipOut))


class ResetLinkOut(Schema):
    url = fields.String(metadata={"description": "The one-time link; shown only now."})
    expires_at = fields.DateTime()
