"""Submissions: the request to submit or reopen a period, and what a submission shows."""

from marshmallow import Schema, fields, validate

from tracker.schemas.common import CODE, InSchema, QuerySchema, free_text
from tracker.schemas.reports import MUNICIPALITY


class SubmissionIn(InSchema):
    municipality = fields.String(validate=MUNICIPALITY)
    site = fields.List(
        fields.String(validate=CODE),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "Site codes; or give the municipality for all its sites."},
    )
    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)
    note = free_text(2000, allow_none=True)
    external = fields.Boolean(
        load_default=False,
        metadata={
            "description": "The workbook for external use: small person-level figures hidden."
        },
    )
    lang = fields.String(load_default="nb", validate=validate.OneOf(["nb", "en"]))


class SubmissionQuery(QuerySchema):
    site = fields.String(validate=CODE, metadata={"description": "Only those covering this site."})


class ReopenIn(InSchema):
    reason = free_text(2000, required=True, min_length=1)


class SubmissionOut(Schema):
    id = fields.Integer()
    municipality = fields.Function(lambda s: s.municipality.number if s.municipality else None)
    sites = fields.Function(lambda s: [site.code for site in s.sites])
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    note = fields.String(allow_none=True)
    external = fields.Boolean()
    lang = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    filename = fields.String()
    submitted_by = fields.Function(lambda s: s.submitted_by.email)
    submitted_by_name = fields.Function(lambda s: s.submitted_by.name)
    submitted_at = fields.DateTime()
    previous_id = fields.Integer(allow_none=True)
    reopened_at = fields.DateTime(allow_none=True)
    reopened_by = fields.Function(lambda s: s.reopened_by.email if s.reopened_by else None)
    reopen_reason = fields.String(allow_none=True)
    locked = fields.Function(lambda s: s.reopened_at is None)
