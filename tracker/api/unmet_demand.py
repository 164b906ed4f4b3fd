"""/api/v1/unmet-demand: items asked for and not given because they were out."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.unmet_demand import (
    UnmetDemandIn,
    UnmetDemandOut,
    UnmetDemandQuery,
    UnmetDemandReport,
    UnmetDemandReportOut,
)
from tracker.services import unmet_demand

blp = make_blueprint(
    "unmet_demand", __name__, "/unmet-demand", "Unmet demand: asked for, not given (out)."
)


@blp.route("")
class UnmetDemand(MethodView):
    @blp.arguments(UnmetDemandQuery, location="query")
    @blp.response(200, UnmetDemandOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Records at the sites you can see, newest first."""
        return unmet_demand.records_query(actor(), **args)

    @blp.arguments(UnmetDemandIn)
    @blp.response(201, UnmetDemandOut)
    def post(self, body):
        """Record that an item was asked for and not given; it adds to usage."""
        return idempotent(
            UnmetDemandOut(),
            201,
            lambda idem: unmet_demand.record(
                actor(),
                site_code=body["site"],
                day=body["date"],
                item_code=body["item"],
                quantity=body["quantity"],
                made_at=body.get("made_at"),
                idem=idem,
            ),
        )


@blp.route("/summary")
class Summary(MethodView):
    @blp.arguments(UnmetDemandReport, location="query")
    @blp.response(200, UnmetDemandReportOut)
    def get(self, args):
        """Per site and item for a period: the report's unmet demand (leads and up)."""
        return unmet_demand.report(
            actor(),
            date_from=args.get("date_from"),
            date_to=args.get("date_to"),
            sites=args.get("site", []),
            municipality=args.get("municipality"),
        )
