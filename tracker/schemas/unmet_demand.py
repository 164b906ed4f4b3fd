"""Unmet demand: body, query and response schemas."""

from marshmallow import Schema, fields

from tracker.schemas.common import CODE, DateRangeQuery, InSchema, quantity


class UnmetDemandIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    item = fields.String(required=True, validate=CODE)
    quantity = quantity(1, 10_000, required=True)
    made_at = fields.DateTime(
        metadata={"description": "When it was noted on the device (offline clients)"}
    )


class UnmetDemandQuery(DateRangeQuery):
    site = fields.String(validate=CODE)


class UnmetDemandReport(DateRangeQuery):
    site = fields.List(fields.String(validate=CODE))
    municipality = fields.String()


class UnmetDemandOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda u: u.site.code)
    date = fields.Date(attribute="day")
    item = fields.Function(lambda u: u.item.code)
    quantity = fields.Integer()


class UnmetDemandSiteOut(Schema):
    site = fields.String()
    name = fields.String()
    municipality = fields.String()
    items = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()


class UnmetDemandReportOut(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    sites = fields.List(fields.Nested(UnmetDemandSiteOut))
    total = fields.Integer()
