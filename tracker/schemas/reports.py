"""Reports: query arguments and the distribution report's response."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.periods import BUCKETS
from tracker.schemas.catalog import CATEGORY
from tracker.schemas.common import CODE, QuerySchema

MEASURES = ("quantity", "contacts")  # as tracker.services.report_sources
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
    quantity = fields.Integer(
        allow_none=True,
        metadata={
            "description": "null: not reported (no entry at the site in the bucket, or an item "
            "category the site does not hand out); 0: reported, nothing handed out."
        },
    )


class CompletenessOut(Schema):
    days_reported = fields.Integer(metadata={"description": "Opening days with an entry."})
    opening_days = fields.Integer(
        metadata={"description": "The site's opening days in the period, up to today."}
    )
    days_with_entry = fields.Integer(metadata={"description": "Days with an entry, any weekday."})
    months_reported = fields.Integer(
        metadata={"description": "Months with an entry (daily or a month's figure)."}
    )
    months = fields.Integer(metadata={"description": "Months in the period, up to today."})
    percent = fields.Float(allow_none=True)


class SwitchMonthOut(Schema):
    month = fields.String()
    percent = fields.Float(allow_none=True)


class SwitchOut(Schema):
    percent = fields.Float(
        allow_none=True,
        metadata={
            "description": "Foil / (syringes + needles) in percent, one decimal; null when "
            "nothing injecting was handed out or nothing was reported."
        },
    )
    months = fields.List(fields.Nested(SwitchMonthOut))


class SiteTotalOut(Schema):
    site = fields.String()
    name = fields.String()
    municipality = fields.String()
    active = fields.Boolean()
    opening_weekdays = fields.List(fields.Integer())
    contacts = fields.Integer(allow_none=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    completeness = fields.Nested(CompletenessOut, allow_none=True)
    switch = fields.Nested(SwitchOut)


class DistributionReportOut(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    by = fields.String()
    categories = fields.List(
        fields.String(),
        metadata={
            "description": "Category codes in column order (GET /categories names them). "
            "A kit handed out counts as its contents in their categories, never as itself."
        },
    )
    buckets = fields.List(fields.Nested(BucketOut))
    sites = fields.List(fields.Nested(SiteTotalOut))
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    switch_percent = fields.Float(allow_none=True)
    rows = fields.List(fields.Nested(DistributionRowOut))


class NaloxoneQuery(ReportQuery):
    external = fields.Boolean(
        load_default=False,
        metadata={
            "description": "For use outside the service: figures 1..threshold-1 show as '<5' "
            "and further cells as ':' wherever they could be worked out (as in the workbook)."
        },
    )


FIGURE = fields.Raw(
    metadata={"description": "A whole number, or '<5' / ':' when protected (external=true)."}
)


class NaloxoneSiteOut(Schema):
    site = fields.String()
    name = fields.String()
    municipality = fields.String()
    figures = fields.Dict(
        keys=fields.String(),
        values=FIGURE,
        metadata={
            "description": "kits, group.<recipient group>, first, refill, reason.<refill "
            "reason> (kits), training_given (handouts with training given)."
        },
    )


class NaloxoneReportOut(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    external = fields.Boolean()
    threshold = fields.Integer(allow_none=True)
    sites = fields.List(fields.Nested(NaloxoneSiteOut))
    totals = fields.Dict(keys=fields.String(), values=FIGURE)


class StockMovementsQuery(QuerySchema):
    site = fields.String(required=True, validate=CODE)
    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)


class StockMovementLineOut(Schema):
    item = fields.Function(lambda line: line.item.code)
    name = fields.Function(lambda line: line.item.name_nb)
    category = fields.Function(lambda line: line.item.category)
    opening = fields.Integer()
    movements = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        attribute="moved",
        metadata={
            "description": "Signed quantity per movement kind (receipt, distribution, "
            "transfer_in, transfer_out, discard, count_adjustment, correction, used_on_site)."
        },
    )
    closing = fields.Integer()


class StockMovementsOut(Schema):
    site = fields.Function(lambda r: r.site.code)
    stock_start = fields.Function(
        lambda r: r.site.stock_start.isoformat() if r.site.stock_start else None
    )
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    kinds = fields.List(fields.String())
    lines = fields.List(fields.Nested(StockMovementLineOut))


class SourcesQuery(ReportQuery):
    category = fields.String(validate=CATEGORY)
    item = fields.String(validate=CODE)
    measure = fields.String(
        load_default="quantity",
        validate=validate.OneOf(MEASURES),
        metadata={"description": "quantity (items handed out) or contacts."},
    )


class SourceOut(Schema):
    source = fields.String(
        metadata={
            "description": "movement (ledger row), history_line or history_handout "
            "(dated before the stock start: no movement), or entry (contacts)."
        }
    )
    id = fields.Integer()
    site = fields.String()
    date = fields.Date()
    who = fields.String()
    what = fields.String()
    item = fields.String(allow_none=True)
    quantity = fields.Integer(
        metadata={"description": "What counts in the figure (a kit's row: kits x per kit)."}
    )
    entry_id = fields.Integer(allow_none=True)
    kit = fields.String(
        allow_none=True,
        metadata={"description": "The kit whose content this row is (null: not a kit's content)."},
    )
    kits = fields.Integer(
        allow_none=True, metadata={"description": "Kits handed out in the row (with `kit`)."}
    )


class EventsQuery(ReportQuery):
    external = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Protect small figures about persons as in the external workbook: "
            "1 to 4 shows '<5', cells that would give one away show ':'."
        },
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
