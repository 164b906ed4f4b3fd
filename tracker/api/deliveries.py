"""/api/v1/sites/{code}/deliveries: when a site's supplier delivers, with the lead time."""

from flask.views import MethodView

from tracker.api.common import actor, make_blueprint
from tracker.schemas.deliveries import DeliveriesIn, DeliveriesOut
from tracker.services import deliveries

blp = make_blueprint("deliveries", __name__, "/sites", "Delivery days of a site.")


@blp.route("/<code>/deliveries")
class Deliveries(MethodView):
    @blp.response(200, DeliveriesOut)
    def get(self, code):
        """The site's delivery weekdays, dates from today, and lead time."""
        return deliveries.read(actor(), code)

    @blp.arguments(DeliveriesIn)
    @blp.response(200, DeliveriesOut)
    def put(self, body, code):
        """Replace the delivery days (the site's lead or coordinator)."""
        return deliveries.update(
            actor(),
            code,
            weekdays=body["weekdays"],
            dates=body["dates"],
            lead_time_days=body["lead_time_days"],
        )
