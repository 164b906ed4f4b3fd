"""/api/v1/overdose-events: overdoses staff attended; changes become ledger corrections."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, etag, idempotent, if_match_versions, make_blueprint
from tracker.schemas.overdoses import OverdoseIn, OverdoseOut, OverdosePatch, OverdoseQuery
from tracker.schemas.tallies import IfMatchHeader
from tracker.services import overdoses

blp = make_blueprint(
    "overdoses",
    __name__,
    "/overdose-events",
    "Overdoses attended (anonymous events).",
    session_writes=True,
)
EVENT_OUT = OverdoseOut()
ETAG = {
    "ETag": {
        "description": 'The event\'s version in quotes, e.g. "3": send it back as If-Match '
        "to change or delete only that version.",
        "schema": {"type": "string"},
    }
}
CHANGED = "If-Match names a version that is no longer current: nothing was changed."


@blp.route("")
class Events(MethodView):
    @blp.arguments(OverdoseQuery, location="query")
    @blp.response(200, OverdoseOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Overdose events you can see, newest first."""
        return overdoses.events_query(actor(), **args)

    @blp.arguments(OverdoseIn)
    @blp.response(201, OverdoseOut)
    def post(self, body):
        """Record an overdose; naloxone doses given leave stock as used_on_site."""
        fields = dict(body)
        site_code, event_date = fields.pop("site"), fields.pop("date")
        return idempotent(
            EVENT_OUT,
            201,
            lambda idem: overdoses.record(
                actor(), site_code=site_code, event_date=event_date, **fields, idem=idem
            ),
        )


@blp.route("/<int:event_id>")
class EventById(MethodView):
    @blp.response(200, OverdoseOut, headers=ETAG)
    def get(self, event_id):
        """One event, with its version as the ETag."""
        event = overdoses.get_event(actor(), event_id)
        return event, etag(event.version)

    @blp.arguments(OverdosePatch)
    @blp.arguments(IfMatchHeader, location="headers", as_kwargs=True)
    @blp.response(200, OverdoseOut, headers=ETAG)
    @blp.alt_response(409, description="The event is deleted.", success=False)
    @blp.alt_response(412, description=CHANGED, success=False)
    def patch(self, body, event_id, if_match=None):
        """Change an event; a change of doses, lot or date is written as corrections."""
        event = overdoses.update(
            actor(), event_id, changes=body, expected=if_match_versions(if_match)
        )
        return event, etag(event.version)

    @blp.arguments(IfMatchHeader, location="headers", as_kwargs=True)
    @blp.response(200, OverdoseOut, headers=ETAG)
    @blp.alt_response(409, description="The event is already deleted.", success=False)
    @blp.alt_response(412, description=CHANGED, success=False)
    def delete(self, event_id, if_match=None):
        """Delete an event: it is kept, marked deleted, and its doses given back to stock."""
        event = overdoses.delete(actor(), event_id, expected=if_match_versions(if_match))
        return event, etag(event.version)
