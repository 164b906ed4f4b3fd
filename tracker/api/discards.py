"""/api/v1/discards: stock discarded (kassering/svinn) with a reason."""

from flask.views import MethodView

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.discards import DiscardIn, DiscardOut
from tracker.services import discards

blp = make_blueprint("discards", __name__, "/discards", "Discards (kassering).")


@blp.route("")
class Discards(MethodView):
    @blp.arguments(DiscardIn)
    @blp.response(201, DiscardOut)
    def post(self, body):
        """Discard stock (the lead); expired lots are accepted, 409 beyond what is on hand."""
        return idempotent(
            DiscardOut(),
            201,
            lambda idem: discards.discard(
                actor(),
                site_code=body["site"],
                discarded_on=body["date"],
                item_code=body["item"],
                quantity=body["quantity"],
                reason=body["reason"],
                lot=body.get("lot"),
                note=body.get("note"),
                idem=idem,
            ),
        )
