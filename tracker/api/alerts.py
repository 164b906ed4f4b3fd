"""/api/v1/alerts: drug alerts (varsling) posted by coordinators and administrators."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.alerts import AlertIn, AlertOut, AlertQuery
from tracker.services import alerts

blp = make_blueprint("alerts", __name__, "/alerts", "Drug alerts (varsling).")


@blp.route("")
class Alerts(MethodView):
    @blp.arguments(AlertQuery, location="query")
    @blp.response(200, AlertOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """National alerts and those of your sites' municipalities; active=true for today's."""
        return alerts.alerts_query(actor(), active=args.get("active"))

    @blp.arguments(AlertIn)
    @blp.response(201, AlertOut)
    def post(self, body):
        """Post an alert: coordinators for their municipality, admins anywhere or national."""
        return idempotent(
            AlertOut(),
            201,
            lambda idem: alerts.post(
                actor(),
                title=body["title"],
                text=body["text"],
                severity=body["severity"],
                municipality=body.get("municipality"),
                valid_from=body.get("valid_from"),
                valid_to=body.get("valid_to"),
                idem=idem,
            ),
        )


@blp.route("/<int:alert_id>/end")
class End(MethodView):
    @blp.response(200, AlertOut)
    def post(self, alert_id):
        """End an alert now; it leaves the staff pages (audited)."""
        return alerts.end(actor(), alert_id)
