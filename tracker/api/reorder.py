"""/api/v1/reorder and /api/v1/expiring: what to order, days left, what expires soon."""

from flask import Response
from flask.views import MethodView

from tracker.api.common import actor, make_blueprint
from tracker.schemas.reorder import ExpiringOut, ExpiringQuery, ReorderLineOut, ReorderQuery
from tracker.services import reorder
from tracker.services.exports import XLSX

blp = make_blueprint("reorder", __name__, "", "Reorder list, days of stock left and expiry.")


@blp.route("/reorder")
class Reorder(MethodView):
    @blp.arguments(ReorderQuery, location="query")
    @blp.response(200, ReorderLineOut(many=True))
    def get(self, args):
        """Items at or below reorder level, with the quantity to reach target (all your sites
        without `site`)."""
        return reorder.reorder_list(actor(), args.get("site"))


@blp.route("/expiring")
class Expiring(MethodView):
    @blp.arguments(ExpiringQuery, location="query")
    @blp.response(200, ExpiringOut(many=True))
    def get(self, args):
        """Lots in stock expiring within `days` (default 90), expired ones included."""
        return reorder.expiring(actor(), args.get("site"), args["days"])


@blp.route("/reorder.xlsx")
class ReorderWorkbook(MethodView):
    @blp.arguments(ReorderQuery, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, args):
        """The reorder list as an Excel workbook (Norwegian headings)."""
        body = reorder.reorder_workbook(actor(), args.get("site"))
        return Response(
            body,
            mimetype=XLSX,
            headers={"Content-Disposition": 'attachment; filename="bestilling.xlsx"'},
        )
