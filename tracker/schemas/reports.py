"""Reports: query arguments and the distribution report's response."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.periods import BUCKETS
from tracker.schemas.common import CODE, QuerySchema

MUNICIPALITY = validate.Regexp(r"^[0-9]{4}$", error=_l("Bruk det firesifrede kommunenummeret."))


class ReportQuery(QuerySchema):
    """The period (required, inclusive) and the site or municipality filters."""

    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)
    site = fields.List(
        fields.String(validate=CODE),
        load_default=list,
        metadata={"description": "Site code; repeat for several. Default: every site you lead."},
    )
    municipality = fields.String(validate=MUNICIPALITY)


class DistributionQuery(ReportQuery):
    by = fields.String(
        load_default="month",
        validate=validate.OneOf(BUCKETS),
        metadata={"description": "Period bucket: day, week, month, tertial, quarter or year."},
    )


class DistributionCsvQuery(DistributionQuery):
    lang = fields.String(
        load_default="nb",
        validate=validate.OneOf(["nb", "en"]),
        metadata={"description": "Headings and categories in bokmål (nb, default) or English."},
    )
    sep = fields.String(
        load_default="semicolon",
        validate=validate.OneOf(["semicolon", "comma"]),
        metadata={
            "description": "Field separator: semicolon (default, opens in a Norwegian Excel) "
            "or comma. The file starts with a UTF-8 byte order mark either way."
        },
    )


class BucketOut(Schema):
    label = fields.String()
    date_from = fields.Date(data_key="from", attribute="start")
    date_to = fields.Date(data_key="to", attribute="end")


class DistributionRowOut(Schema):
    site = fields.String()
    site_name = fields.String()
    municipality = fields.String()
    category = fields.String()
    bucket = fields.String()
    date_from = fields.Date(data_key="from", attribute="from")
    date_to = fields.Date(data_key="to", attribute="to")
    quantity = fields.Integer()


class SiteTotalOut(Schema):
    site = fields.String()
    name = fields.String()
    municipality = fields.String()
    active = fields.Boolean()
    contacts = fields.Integer()
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())


class DistributionReportOut(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    by = fields.String()
    categories = fields.List(fields.String())
    buckets = fields.List(fields.Nested(BucketOut))
    sites = fields.List(fields.Nested(SiteTotalOut))
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    rows = fields.List(fields.Nested(DistributionRowOut))
