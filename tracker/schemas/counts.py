"""Stock counts: body, query and response schemas."""

from marshmallow import Schema, fields, validate

from tracker.models.counts import COUNT_REASONS, COUNT_STATUSES
from tracker.schemas.common import CODE, InSchema, QuerySchema, free_text, lot_number, quantity


class CountIn(InSchema):
    site = fields.String(required=True, validate=CODE)
    date = fields.Date()
    show_expected = fields.Boolean(load_default=False)
    note = free_text(2000, allow_none=True)


class CountLineIn(InSchema):
    item = fields.String(required=True, validate=CODE)
    lot = lot_number()
    quantity = quantity(0, 1_000_000, required=True)


class CountLinesIn(InSchema):
    lines = fields.List(fields.Nested(CountLineIn), required=True, validate=validate.Length(0, 500))


class CloseIn(InSchema):
    note = free_text(2000, allow_none=True)
    reasons = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$")),
        values=fields.String(validate=validate.OneOf(COUNT_REASONS)),
        validate=validate.Length(max=500),
        load_default=dict,
        metadata={
            "description": "Why each counted line differs from the expected quantity, by line "
            "id: " + ", ".join(COUNT_REASONS) + ". Closing without a reason for every "
            "differing line answers 409 listing them (under errors.reasons) and writes nothing."
        },
    )


class CountQuery(QuerySchema):
    site = fields.String(validate=CODE)
    status = fields.String(validate=validate.OneOf(COUNT_STATUSES))


def _expected(line):
    """Kept at close; while open only if the lead chose to show it (snapshot quantity)."""
    if line.count.status != "open":
        return line.expected_quantity
    shown = getattr(line.count, "shown_expected", None) or {}
    return shown.get((line.item_id, line.lot_id), 0) if line.count.show_expected else None


class CountLineOut(Schema):
    id = fields.Integer()
    item = fields.Function(lambda line: line.item.code)
    lot = fields.Function(lambda line: line.lot.lot_number if line.lot else None)
    counted = fields.Integer(attribute="counted_quantity")
    expected = fields.Function(lambda line: _expected(line), allow_none=True)
    variance = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)


class CountOut(Schema):
    id = fields.Integer()
    site = fields.Function(lambda c: c.site.code)
    date = fields.Date(attribute="counted_on")
    status = fields.String()
    show_expected = fields.Boolean()
    started_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(CountLineOut))
