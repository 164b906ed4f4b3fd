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


class EventsQuery(ReportQuery):
    external = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Protect small figures about persons as in the external workbook: "
            "1 to 4 shows '<5', cells that would give one away show ':'."
        },
    )


FIGURE = fields.Raw(
    metadata={"description": "A count; in an external report also '<5' or ':' (hidden)."}
)


class EventRowOut(Schema):
    site = fields.String()
    month = fields.Date(
        allow_none=True, metadata={"description": "First day of the month (absent for groups)."}
    )
    figures = fields.Dict(keys=fields.String(), values=FIGURE)


class EventTableOut(Schema):
    rows = fields.List(fields.Nested(EventRowOut))
    total = fields.Dict(keys=fields.String(), values=FIGURE)


class EventsReportOut(Schema):
    date_from = fields.Date(data_key="from", attribute="from")
    date_to = fields.Date(data_key="to", attribute="to")
    external = fields.Boolean()
    overdoses = fields.Nested(
        EventTableOut,
        metadata={
            "description": "Per site and month: events, place.<where>, doses (naloxone given by "
            "staff), with_naloxone, oxygen, cpr, ambulance, outcome.<outcome>."
        },
    )
    referrals = fields.Nested(
        EventTableOut,
        metadata={"description": "Per site and month: referred, to.<destination>."},
    )
    returns = fields.Nested(
        EventTableOut,
        metadata={
            "description": "Per site and month: container_small, container_large, pieces, "
            "handed_out (syringes and needles), per_hundred (pieces per 100 handed out). "
            "Equipment, never suppressed."
        },
    )
    contact_groups = fields.Nested(
        EventTableOut,
        metadata={
            "description": "Per site over the period: women, men, other_gender, first_visit, "
            "repeat_visit."
        },
    )
