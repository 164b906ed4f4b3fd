"""/api/v1/training-sessions and /api/v1/certifications: training and staff certification."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.dates import today
from tracker.schemas.training import (
    CertificationQuery,
    SessionIn,
    SessionOut,
    SessionPatch,
    SessionQuery,
    SiteCertificationsOut,
    SiteTrainingOut,
    SummaryQuery,
)
from tracker.services import certifications, training

blp = make_blueprint("training", __name__, "", "Training sessions and staff certification.")

_RENAMES = {"date": "held_on", "type": "training_type", "participants": "counts"}


@blp.route("/training-sessions")
class Sessions(MethodView):
    @blp.arguments(SessionQuery, location="query")
    @blp.response(200, SessionOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Sessions at the sites you can see, newest first."""
        query = dict(args)
        query["training_type"] = query.pop("type", None)
        return training.sessions_query(actor(), **query)

    @blp.arguments(SessionIn)
    @blp.response(201, SessionOut)
    def post(self, body):
        """Record a held session (site leads, coordinators); attendees get certified."""
        fields = {_RENAMES.get(k, k): v for k, v in body.items()}
        site_code = fields.pop("site")
        return idempotent(
            SessionOut(),
            201,
            lambda idem: training.record_session(actor(), site_code=site_code, **fields, idem=idem),
        )


@blp.route("/training-sessions/<int:session_id>")
class SessionById(MethodView):
    @blp.response(200, SessionOut)
    def get(self, session_id):
        """One session."""
        return training.get_session(actor(), session_id)

    @blp.arguments(SessionPatch)
    @blp.response(200, SessionOut)
    def patch(self, body, session_id):
        """Correct a session; its certifications are re-issued."""
        changes = {_RENAMES.get(k, k): v for k, v in body.items()}
        return training.correct_session(actor(), session_id, changes)


@blp.route("/certifications")
class Certifications(MethodView):
    @blp.arguments(CertificationQuery, location="query")
    @blp.response(200, SiteCertificationsOut(many=True))
    def get(self, args):
        """Staff certification per site: valid, expiring within 60 days, expired, missing."""
        return certifications.overview(
            actor(),
            on=args.get("on") or today(),
            site=args.get("site"),
            training_type=args["type"],
            status=args.get("status"),
        )


@blp.route("/training-summary")
class Summary(MethodView):
    @blp.arguments(SummaryQuery, location="query")
    @blp.response(200, SiteTrainingOut(many=True))
    def get(self, args):
        """Sessions and participants by type and audience per site, and CPR course months."""
        return training.summary_for(
            actor(),
            start=args["date_from"],
            end=args["date_to"],
            sites=args["site"],
            municipality=args.get("municipality"),
        )
