"""Imports: the upload form, batch and result responses, template and export arguments."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from tracker.schemas.common import CODE, DateRangeQuery, InSchema, QuerySchema

LANG = fields.String(load_default="nb", validate=validate.OneOf(["nb", "en"]))


class ImportFileIn(InSchema):
    file = Upload(required=True, metadata={"description": "The CSV or xlsx file."})


class ImportFormIn(InSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check only."})
    expected_sha256 = fields.String(
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
        metadata={
            "description": "The `file_hash` a dry run of this file returned: a different "
            "file is refused with 409 and nothing is written."
        },
    )


class LangQuery(QuerySchema):
    lang = LANG


class ExportQuery(DateRangeQuery):
    site = fields.String(validate=CODE)
    municipality = fields.String(validate=validate.Regexp(r"^[0-9]{4}$"))
    lang = LANG


class RowErrorOut(Schema):
    row = fields.Integer()
    column = fields.String()
    cell = fields.String()
    message = fields.String()


class DifferenceOut(Schema):
    row = fields.Integer()
    column = fields.String()
    before = fields.Integer()
    now = fields.Integer()


class TotalOut(Schema):
    site = fields.String()
    item = fields.String(allow_none=True)
    granularity = fields.String(allow_none=True)
    quantity = fields.Integer()
    contacts = fields.Integer()
    rows = fields.Integer()
    first = fields.Date()
    last = fields.Date()


class PreviewOut(Schema):
    row = fields.Integer()
    site = fields.String()
    date = fields.Date()
    granularity = fields.String()
    item = fields.String(allow_none=True)
    quantity = fields.Integer()
    contacts = fields.Integer()


class ImportResultOut(Schema):
    filename = fields.String()
    file_hash = fields.String()
    dry_run = fields.Boolean()
    ok = fields.Boolean()
    already_imported = fields.Boolean()
    batch_id = fields.Integer(allow_none=True)
    rows = fields.Integer()
    imported = fields.Integer()
    before_stock_start = fields.Integer(
        metadata={
            "description": "New rows dated before their site's stock start: counted "
            "in reports, no stock movement."
        }
    )
    from_stock_start = fields.Integer(
        metadata={"description": "New rows dated from their site's stock start on."}
    )
    skipped = fields.Integer()
    error_count = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))
    differing = fields.List(fields.Nested(DifferenceOut))
    totals = fields.List(fields.Nested(TotalOut))
    preview = fields.List(fields.Nested(PreviewOut))


class ImportBatchOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    file_hash = fields.String()
    row_count = fields.Integer()
    skipped_count = fields.Integer()
    imported_by_id = fields.Integer()
    imported_at = fields.DateTime()
