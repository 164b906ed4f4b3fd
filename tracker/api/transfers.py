"""/api/v1/transfers: stock sent between sites, in transit, received or cancelled."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.transfers import CancelIn, ReceiveIn, TransferIn, TransferOut, TransferQuery
from tracker.services import transfers

blp = make_blueprint("transfers", __name__, "/transfers", "Transfers between sites.")


@blp.route("")
class Transfers(MethodView):
    @blp.arguments(TransferQuery, location="query")
    @blp.response(200, TransferOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Transfers into or out of the sites you see, newest first."""
        return transfers.transfers_query(actor(), **args)

    @blp.arguments(TransferIn)
    @blp.response(201, TransferOut)
    def post(self, body):
        """Ship stock to another site (the sender's lead); 409 beyond what the sender holds."""
        return idempotent(
            TransferOut(),
            201,
            lambda idem: transfers.ship(
                actor(),
                from_code=body["from_site"],
                to_code=body["to_site"],
                shipped_on=body["date"],
                lines=body["lines"],
                note=body.get("note"),
                idem=idem,
            ),
        )


@blp.route("/<int:transfer_id>")
class TransferById(MethodView):
    @blp.response(200, TransferOut)
    def get(self, transfer_id):
        """One transfer, with shipped and received quantities per line."""
        return transfers.get_transfer(actor(), transfer_id)


@blp.route("/<int:transfer_id>/receive")
class Receive(MethodView):
    @blp.arguments(ReceiveIn)
    @blp.response(200, TransferOut)
    def post(self, body, transfer_id):
        """Receive a shipment (the receiver's lead); a shortfall is recorded as a discrepancy."""
        return idempotent(
            TransferOut(),
            200,
            lambda idem: transfers.receive(
                actor(),
                transfer_id,
                received_on=body["date"],
                lines=body.get("lines"),
                note=body.get("note"),
                idem=idem,
            ),
        )


@blp.route("/<int:transfer_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, TransferOut)
    def post(self, body, transfer_id):
        """Call back a shipment not yet received (the sender's lead); stock goes back."""
        return transfers.cancel(actor(), transfer_id, reason=body["reason"])
