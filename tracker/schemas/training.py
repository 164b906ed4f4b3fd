"""Training sessions and certifications: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.training import (
    AUDIENCES,
    MAX_ATTENDEES,
    MAX_AUDIENCE,
    MAX_DURATION,
    TRAINING_TYPES,
)
from tracker.models.training import CERTIFICATION_STATUSES as STATUSES
from tracker.schemas.common import CODE, DateRangeQuery, InSchema, QuerySchema, free_text, quantity


class ParticipantsIn(InSchema):
    """Participants per audience; staff defaults to the number of staff attendees named."""

    pwud = quantity(0, MAX_AUDIENCE)
    relative = quantity(0, MAX_AUDIENCE)
    staff = quantity(
        0,
        MAX_AUDIENCE,
        metadata={"description": "All staff taught; default and minimum: the attendees named."},
    )
    other = quantity(0, MAX_AUDIENCE)


class SessionIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    type = fields.String(required=True, validate=validate.OneOf(TRAINING_TYPES))
    participants = fields.Nested(ParticipantsIn, required=True)
    attendees = fields.List(
        fields.Email(),
        validate=validate.Length(max=MAX_ATTENDEES),
        load_default=list,
        metadata={"description": "Emails of the site's active staff who attended; certified."},
    )
    duration_minutes = quantity(1, MAX_DURATION, allow_none=True)
    trainer = free_text(200, allow_none=True)
    note = free_text(2000, allow_none=True)


class SessionPatch(InSchema):
    date = fields.Date()
    type = fields.String(validate=validate.OneOf(TRAINING_TYPES))
    participants = fields.Nested(ParticipantsIn)
    attendees = fields.List(fields.Email(), validate=validate.Length(max=MAX_ATTENDEES))
    duration_minutes = quantity(1, MAX_DURATION, allow_none=True)
    trainer = free_text(200, allow_none=True)
    note = free_text(2000, allow_none=True)


class SessionQuery(DateRangeQuery):
    site = fields.String(validate=CODE)
    type = fields.String(validate=validate.OneOf(TRAINING_TYPES))


class AttendeeOut(Schema):
    email = fields.Function(lambda a: a.user.email)
    name = fields.Function(lambda a: a.user.name)


class SessionOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda s: s.site.code)
    date = fields.Date(attribute="held_on")
    type = fields.String(attribute="training_type")
    participants = fields.Function(lambda s: {a: getattr(s, f"{a}_count") for a in AUDIENCES})
    total = fields.Function(lambda s: sum(getattr(s, f"{a}_count") for a in AUDIENCES))
    attendees = fields.List(fields.Nested(AttendeeOut))
    duration_minutes = fields.Integer(allow_none=True)
    trainer = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class CertificationQuery(QuerySchema):
    site = fields.String(validate=CODE)
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf(TRAINING_TYPES), load_default="cpr")
    on = fields.Date(metadata={"description": "The day to judge validity on (default today)."})


class StaffStatusOut(Schema):
    email = fields.String()
    name = fields.String()
    role = fields.String()
    certified_on = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    status = fields.String()


class SiteCertificationsOut(Schema):
    site = fields.String(attribute="site_code")
    type = fields.String(attribute="training_type")
    on = fields.Date(metadata={"description": "The day to judge validity on (default today)."})
    active_staff = fields.Integer()
    certified = fields.Integer()
    compliance = fields.Float(allow_none=True)
    counts = fields.Function(lambda c: {s: c.count(s) for s in STATUSES})
    staff = fields.List(fields.Nested(StaffStatusOut), attribute="shown")


class SummaryQuery(QuerySchema):
    """The report filters: period, site (repeat for several) and municipality."""

    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)
    site = fields.List(
        fields.String(validate=CODE),
        load_default=list,
        metadata={"description": "Site code; repeat for several. Default: every site you see."},
    )
    municipality = fields.String(validate=validate.Regexp(r"^[0-9]{4}$"))


class TypeSummaryOut(Schema):
    type = fields.String(attribute="training_type")
    sessions = fields.Integer()
    minutes = fields.Integer()
    participants = fields.Dict(attribute="counts", keys=fields.String(), values=fields.Integer())
    total = fields.Integer(attribute="participants")


class SiteTrainingOut(Schema):
    site = fields.String(attribute="site_code")
    types = fields.Function(lambda s: TypeSummaryOut(many=True).dump(list(s.by_type.values())))
    cpr_course_months = fields.Dict(keys=fields.String(), values=fields.Boolean())
    months_with_cpr_course = fields.Integer(
        metadata={"description": "Months with a CPR course for users (pwud participants)."}
    )
    months = fields.Integer(metadata={"description": "Months in the period."})
