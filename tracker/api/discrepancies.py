"""/api/v1/discrepancies: negative balances, count variances and shortfalls to resolve."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, make_blueprint
from tracker.schemas.discrepancies import DiscrepancyOut, DiscrepancyQuery, ResolveIn
from tracker.services import discrepancies

blp = make_blueprint("discrepancies", __name__, "/discrepancies", "Discrepancies for the lead.")


@blp.route("")
class Discrepancies(MethodView):
    @blp.arguments(DiscrepancyQuery, location="query")
    @blp.response(200, DiscrepancyOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Discrepancies at the sites you see, open ones first."""
        return discrepancies.discrepancies_query(
            actor(), site=args.get("site"), open_only=args["open"]
        )


@blp.route("/<int:discrepancy_id>/resolve")
class Resolve(MethodView):
    @blp.arguments(ResolveIn)
    @blp.response(200, DiscrepancyOut)
    def post(self, body, discrepancy_id):
        """Resolve a discrepancy with a note saying how (the site's lead)."""
        return discrepancies.resolve(actor(), discrepancy_id, note=body["note"])
