"""Exports: query arguments of the summary workbook."""

from marshmallow import fields, validate

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
