"""/api/v1/naloxone-handouts: anonymous naloxone handouts with the programme's fields."""

from flask.views import MethodView

from tracker.api.common import (
    SQLPage,
    actor,
    etag,
    idempotent,
    if_match_versions,
    make_blueprint,
)
from tracker.api.tallies import CHANGED, ETAG
from tracker.schemas.naloxone import HandoutIn, HandoutOut, HandoutPatch, HandoutQuery
from tracker.schemas.tallies import IfMatchHeader
from tracker.services import naloxone

blp = make_blueprint(
    "naloxone",
    __name__,
    "/naloxone-handouts",
    "Naloxone nasal spray handouts.",
    session_writes=True,
)
# Instances, not classes, on the entry path: webargs would build the schema per request.
HANDOUT_IN, HANDOUT_OUT = HandoutIn(), HandoutOut()


@blp.route("")
class Handouts(MethodView):
    @blp.arguments(HandoutQuery, location="query")
    @blp.response(200, HandoutOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Handouts you can see, newest first."""
        return naloxone.handouts_query(actor(), **args)

    @blp.arguments(HANDOUT_IN)
    @blp.response(201, HandoutOut)
    def post(self, body):
        """Record a naloxone handout (FEFO lot unless one is named)."""
        fields = dict(body)
        site_code, handed_out_on = fields.pop("site"), fields.pop("date")
        return idempotent(
            HANDOUT_OUT,
            201,
            lambda idem: naloxone.hand_out(
                actor(), site_code=site_code, handed_out_on=handed_out_on, **fields, idem=idem
            ),
        )


@blp.route("/<int:handout_id>")
class HandoutById(MethodView):
    @blp.response(200, HandoutOut, headers=ETAG)
    def get(self, handout_id):
        """One handout (deleted ones too, marked), with its version as the ETag."""
        handout = naloxone.get_handout(actor(), handout_id)
        return handout, etag(handout.version)

    @blp.arguments(HandoutPatch)
    @blp.arguments(IfMatchHeader, location="headers", as_kwargs=True)
    @blp.response(200, HandoutOut, headers=ETAG)
    @blp.alt_response(409, description="The handout is deleted.", success=False)
    @blp.alt_response(412, description=CHANGED, success=False)
    def patch(self, body, handout_id, if_match=None):
        """Change a handout; the difference is written to the ledger per lot as corrections.

        Racing changes apply one after another. With If-Match, the change applies only to
        the version the client read.
        """
        handout = naloxone.update_handout(
            actor(), handout_id, changes=body, expected=if_match_versions(if_match)
        )
        return handout, etag(handout.version)

    @blp.arguments(IfMatchHeader, location="headers", as_kwargs=True)
    @blp.response(200, HandoutOut, headers=ETAG)
    @blp.alt_response(409, description="The handout is already deleted.", success=False)
    @blp.alt_response(412, description=CHANGED, success=False)
    def delete(self, handout_id, if_match=None):
        """Delete a handout: kept, marked deleted, its kits back on their lots, once."""
        handout = naloxone.delete_handout(actor(), handout_id, expected=if_match_versions(if_match))
        return handout, etag(handout.version)
