"""Exports: query arguments of the summary workbook."""

from marshmallow import fields, validate

from tracker.periods import BUCKETS
from tracker.schemas.reports import ReportQuery


class SummaryQuery(ReportQuery):
    lang = fields.String(
        load_default="nb",
        validate=validate.OneOf(["nb", "en"]),
        metadata={"description": "Headings in Norwegian bokmål (nb, default) or English (en)."},
    )
    external = fields.Boolean(
        load_default=False,
        metadata={"description": "1 for external use: small person-level figures suppressed."},
    )
    by = fields.String(
        load_default="month",
        validate=validate.OneOf(BUCKETS),
        metadata={"description": "Period bucket of the Distribution and Data sheets."},
    )
    compare = fields.Boolean(
        load_default=False,
        metadata={
            "description": "1 to add the same period a year earlier to the Data sheet "
            "(columns Value a year earlier and its status)."
        },
    )
