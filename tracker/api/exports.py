"""/api/v1/exports/summary.xlsx: the Helsedirektoratet workbook."""

from flask import send_file
from flask.views import MethodView

from tracker.api.common import actor, make_blueprint
from tracker.schemas.exports import SummaryQuery
from tracker.services import exports

blp = make_blueprint("exports", __name__, "/exports", "Excel exports for Helsedirektoratet.")


@blp.route("/summary.xlsx")
class Summary(MethodView):
    @blp.arguments(SummaryQuery, location="query")
    @blp.response(
        200,
        content_type=exports.XLSX,
        description="The workbook (8 sheets; 7 for external use, without Lager).",
    )
    @blp.alt_response(403, description="Staff cannot export; leads only their own sites.")
    @blp.alt_response(404, description="Unknown site or municipality.")
    @blp.alt_response(422, description="Bad period, language, or a municipality without sites.")
    def get(self, args):
        """The summary workbook for a period, sites or a municipality; a copy is kept."""
        result = exports.export_summary(
            actor(),
            date_from=args["date_from"],
            date_to=args["date_to"],
            sites=args["site"],
            municipality=args.get("municipality"),
            lang=args["lang"],
            external=args["external"],
            by=args["by"],
            compare=args["compare"],
        )
        return send_file(
            result.path,
            mimetype=exports.XLSX,
            as_attachment=True,
            download_name=result.filename,
            max_age=0,
        )
