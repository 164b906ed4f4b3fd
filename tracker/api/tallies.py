"""/api/v1/tallies: what a site handed out on a day; changes become ledger corrections."""

from flask.views import MethodView

from tracker.api.common import (
    SQLPage,
    actor,
    etag,
    idempotent,
    if_match_versions,
    make_blueprint,
)
from tracker.schemas.tallies import IfMatchHeader, TallyIn, TallyOut, TallyPatch, TallyQuery
from tracker.services import tallies

blp = make_blueprint(
    "tallies", __name__, "/tallies", "Daily distribution entries.", session_writes=True
)
# Instances, not classes, on the entry path: webargs would build the schema per request.
TALLY_IN, TALLY_OUT = TallyIn(), TallyOut()
ETAG = {
    "ETag": {
        "description": 'The entry\'s version in quotes, e.g. "3": send it back as If-Match '
        "to change or delete only that version.",
        "schema": {"type": "string"},
    }
}
CHANGED = "If-Match names a version that is no longer current: nothing was changed."


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
                made_at=body.get("made_at"),
                idem=idem,
            ),
        )


@blp.route("/<int:tally_id>")
class TallyById(MethodView):
    @blp.response(200, TallyOut, headers=ETAG)
    def get(self, tally_id):
        """One entry, with its version as the ETag."""
        tally = tallies.get_tally(actor(), tally_id)
        return tally, etag(tally.version)

    @blp.arguments(TallyPatch)
    @blp.arguments(IfMatchHeader, location="headers", as_kwargs=True)
    @blp.response(200, TallyOut, headers=ETAG)
    @blp.alt_response(409, description="The entry is deleted.", success=False)
    @blp.alt_response(412, description=CHANGED, success=False)
    def patch(self, body, tally_id, if_match=None):
        """Change an entry; the difference is written to the ledger as corrections.

        Racing changes apply one after another. With If-Match, the change applies only to
        the version the client read.
        """
        tally = tallies.update_tally(
            actor(), tally_id, changes=body, expected=if_match_versions(if_match)
        )
        return tally, etag(tally.version)

    @blp.arguments(IfMatchHeader, location="headers", as_kwargs=True)
    @blp.response(200, TallyOut, headers=ETAG)
    @blp.alt_response(409, description="The entry is already deleted.", success=False)
    @blp.alt_response(412, description=CHANGED, success=False)
    def delete(self, tally_id, if_match=None):
        """Delete an entry: it is kept, marked deleted, and its distribution reversed, once."""
        tally = tallies.delete_tally(actor(), tally_id, expected=if_match_versions(if_match))
        return tally, etag(tally.version)
