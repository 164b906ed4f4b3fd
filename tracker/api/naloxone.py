"""/api/v1/naloxone-handouts: anonymous naloxone handouts with the programme's fields."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.naloxone import HandoutIn, HandoutOut, HandoutQuery
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
