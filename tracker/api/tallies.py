"""/api/v1/tallies: what a site handed out on a day; changes become ledger corrections."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.tallies import TallyIn, TallyOut, TallyPatch, TallyQuery
from tracker.services import tallies

blp = make_blueprint("tallies", __name__, "/tallies", "Daily distribution entries.")
# Instances, not classes, on the entry path: webargs would build the schema per request.
TALLY_IN, TALLY_OUT = TallyIn(), TallyOut()


@blp.route("")
class Tallies(MethodView):
    @blp.arguments(TallyQuery, location="query")
    @blp.response(200, TallyOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Entries you can see, newest first."""
        return tallies.tallies_query(
            actor(),
            site=args.get("site"),
            date_from=args.get("date_from"),
            date_to=args.get("date_to"),
            include_deleted=args["include_deleted"],
        )

    @blp.arguments(TALLY_IN)
    @blp.response(201, TallyOut)
    def post(self, body):
        """Record a distribution entry; several per site and day add up."""
        return idempotent(
            TALLY_OUT,
            201,
            lambda idem: tallies.create_tally(
                actor(),
                site_code=body["site"],
                entry_date=body["date"],
                contacts=body["contacts"],
                lines=body["lines"],
                note=body.get("note"),
                idem=idem,
            ),
        )


@blp.route("/<int:tally_id>")
class TallyById(MethodView):
    @blp.response(200, TallyOut)
    def get(self, tally_id):
        """One entry."""
        return tallies.get_tally(actor(), tally_id)

    @blp.arguments(TallyPatch)
    @blp.response(200, TallyOut)
    def patch(self, body, tally_id):
        """Change an entry; the difference is written to the ledger as corrections."""
        return tallies.update_tally(actor(), tally_id, changes=body)

    @blp.response(200, TallyOut)
    def delete(self, tally_id):
        """Delete an entry: it is kept, marked deleted, and its distribution reversed."""
        return tallies.delete_tally(actor(), tally_id)
