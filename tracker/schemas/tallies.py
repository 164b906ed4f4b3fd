"""Distribution entries (tallies): body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.schemas.common import (
    CODE,
    DateRangeQuery,
    InSchema,
    QuerySchema,
    free_text,
    lot_number,
    quantity,
)


class TallyLineIn(InSchema):
    item = fields.String(required=True, validate=CODE)
    quantity = quantity(0, 100_000, required=True)
    lot = lot_number()


class TallyIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    contacts = quantity(0, 10_000, load_default=0)
    lines = fields.List(fields.Nested(TallyLineIn), required=True, validate=validate.Length(1, 200))
    note = free_text(2000, allow_none=True)
    made_at = fields.DateTime(
        metadata={
            "description": "When the entry was made on the device (offline clients); staff may "
            "date it up to BACKDATE_DAYS before this, never counted from later than now."
        }
    )


class TallyPatch(InSchema):
    date = fields.Date()
    contacts = quantity(0, 10_000)
    lines = fields.List(fields.Nested(TallyLineIn), validate=validate.Length(1, 200))
    note = free_text(2000, allow_none=True)


class IfMatchHeader(QuerySchema):
    """The optional optimistic check on a change: the ETag the client last read."""

    if_match = fields.String(
        data_key="If-Match",
        metadata={
            "description": 'The entry\'s ETag as last read (e.g. "3"). If the entry has been '
            "changed since, the request is refused with 412 and changes nothing. Without "
            "If-Match the change applies to whatever is current (last writer wins)."
        },
    )


class TallyQuery(DateRangeQuery):
    site = fields.String(validate=CODE)
    include_deleted = fields.Boolean(load_default=False)


class TallyLineOut(Schema):
    item = fields.Function(lambda line: line.item.code)
    category = fields.Function(lambda line: line.item.category)
    lot = fields.Function(lambda line: line.lot.lot_number if line.lot else None)
    quantity = fields.Integer()


class TallyOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda t: t.site.code)
    date = fields.Date(attribute="entry_date")
    contacts = fields.Integer()
    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(TallyLineOut))
    created_by_id = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    deleted = fields.Function(lambda t: t.deleted_at is not None)
    version = fields.Integer(
        metadata={"description": "Bumped by every change; the ETag header is this in quotes."}
    )
