"""/api/v1/receipts, /movements and /stock: goods received, the ledger, stock on hand."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.stock import (
    MovementOut,
    MovementQuery,
    ReceiptIn,
    ReceiptOut,
    StockLineOut,
    StockQuery,
)
from tracker.services import stock, stock_history

blp = make_blueprint("stock", __name__, "", "Goods received, the stock ledger and on hand.")


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(ReceiptIn)
    @blp.response(201, ReceiptOut)
    @blp.alt_response(422, description="Invalid input, or a lot number or expired lot to confirm.")
    @blp.alt_response(403, description="Only a site lead confirms a lot number.")
    def post(self, body):
        """Record goods received at a site (mottak).

        A new lot number that validates as a national ID number is refused with 422
        `lot-looks-like-national-id`, unless a site lead confirms it is printed on the box
        with `confirm_lot_number: true` (audited). A lot whose expiry date is before the
        receipt's date is refused with 422 `lot-expired-on-receipt` unless sent with
        `confirm_expired: true` (expired goods may be received to be discarded).
        """
        return idempotent(
            ReceiptOut(),
            201,
            lambda idem: stock.receive(
                actor(),
                site_code=body["site"],
                received_on=body["date"],
                lines=body["lines"],
                note=body.get("note"),
                confirm_lot_number=body["confirm_lot_number"],
                confirm_expired=body["confirm_expired"],
                idem=idem,
            ),
        )


@blp.route("/movements")
class Movements(MethodView):
    @blp.arguments(MovementQuery, location="query")
    @blp.response(200, MovementOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """The ledger, newest first, filtered by site, item, kind and date range."""
        return stock.movements_query(actor(), **args)


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(StockQuery, location="query")
    @blp.response(200, StockLineOut(many=True))
    def get(self, args):
        """On hand per item and lot at a site, with expiry, levels and days left.

        With `date`, on hand at the end of that day per item and lot (item, lot, expiry,
        quantity, date), read from the per-day stock aggregate.
        """
        if args.get("date") is not None:
            return stock_history.stock_at(actor(), args["site"], args["date"])
        return stock.on_hand(actor(), args["site"])
