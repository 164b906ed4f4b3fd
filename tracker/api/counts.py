"""/api/v1/stock-counts: open a count, enter counted lines, close it to write the variance."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.counts import CloseIn, CountIn, CountLinesIn, CountOut, CountQuery
from tracker.services import counts

blp = make_blueprint("counts", __name__, "/stock-counts", "Stock counts (varetelling).")


@blp.route("")
class Counts(MethodView):
    @blp.arguments(CountQuery, location="query")
    @blp.response(200, CountOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Counts at the sites you see, newest first."""
        return counts.counts_query(actor(), **args)

    @blp.arguments(CountIn)
    @blp.response(201, CountOut)
    def post(self, body):
        """Open a count at a site (the lead); the snapshot is taken now."""
        return idempotent(
            CountOut(),
            201,
            lambda idem: counts.open_count(
                actor(),
                site_code=body["site"],
                counted_on=body.get("date"),
                show_expected=body["show_expected"],
                note=body.get("note"),
                idem=idem,
            ),
        )


@blp.route("/<int:count_id>")
class CountById(MethodView):
    @blp.response(200, CountOut)
    def get(self, count_id):
        """One count; expected quantities and variance appear once it is closed."""
        return counts.get_count(actor(), count_id)


@blp.route("/<int:count_id>/lines")
class CountLines(MethodView):
    @blp.arguments(CountLinesIn)
    @blp.response(200, CountOut)
    def put(self, body, count_id):
        """Replace the counted lines of an open count."""
        return counts.set_lines(actor(), count_id, body["lines"])


@blp.route("/<int:count_id>/close")
class Close(MethodView):
    @blp.arguments(CloseIn)
    @blp.response(200, CountOut)
    @blp.alt_response(
        409, description="Lines differ and have no reason yet (listed): nothing written."
    )
    def post(self, body, count_id):
        """Close the count: exactly the variance is written as count adjustments.

        Every line that differs from the expected quantity needs a reason in `reasons`.
        """
        reasons = {int(line): reason for line, reason in body["reasons"].items()}
        return counts.close(actor(), count_id, note=body.get("note"), reasons=reasons)
