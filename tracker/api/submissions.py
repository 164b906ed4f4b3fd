"""/api/v1/submissions: reported periods, kept byte for byte, locked until reopened."""

import io

from flask import send_file
from flask.views import MethodView

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.submissions import ReopenIn, SubmissionIn, SubmissionOut, SubmissionQuery
from tracker.services import exports, submissions

blp = make_blueprint(
    "submissions", __name__, "/submissions", "Periods reported to Helsedirektoratet."
)
SUBMISSION_OUT = SubmissionOut()


@blp.route("")
class Submissions(MethodView):
    @blp.arguments(SubmissionQuery, location="query")
    @blp.response(200, SubmissionOut(many=True))
    @blp.alt_response(403, description="Staff see no submissions.", success=False)
    def get(self, args):
        """Submissions whose every site you may see, newest first."""
        return submissions.list_submissions(actor(), site=args.get("site"))

    @blp.arguments(SubmissionIn)
    @blp.response(201, SubmissionOut)
    @blp.alt_response(403, description="Only coordinators and admins submit.", success=False)
    @blp.alt_response(404, description="Unknown site or municipality.", success=False)
    @blp.alt_response(409, description="The period is already submitted.", success=False)
    def post(self, body):
        """Submit a period: the workbook is kept and the period locked for the sites."""
        return idempotent(
            SUBMISSION_OUT,
            201,
            lambda idem: submissions.submit(
                actor(),
                date_from=body["date_from"],
                date_to=body["date_to"],
                sites=body["site"],
                municipality=body.get("municipality"),
                note=body.get("note"),
                external=body["external"],
                lang=body["lang"],
                idem=idem,
            ),
        )


@blp.route("/<int:submission_id>")
class SubmissionById(MethodView):
    @blp.response(200, SubmissionOut)
    def get(self, submission_id):
        """One submission."""
        return submissions.get_submission(actor(), submission_id)


@blp.route("/<int:submission_id>/workbook.xlsx")
class SubmissionWorkbook(MethodView):
    @blp.response(200, content_type=exports.XLSX, description="The exact submitted bytes.")
    def get(self, submission_id):
        """The workbook as submitted, byte for byte (its sha256 is the submission's)."""
        kept = submissions.kept_workbook(actor(), submission_id)
        return send_file(
            io.BytesIO(kept.content),
            mimetype=exports.XLSX,
            as_attachment=True,
            download_name=kept.filename,
            max_age=0,
        )


@blp.route("/<int:submission_id>/reopen")
class Reopen(MethodView):
    @blp.arguments(ReopenIn)
    @blp.response(200, SubmissionOut)
    @blp.alt_response(409, description="Already reopened.", success=False)
    def post(self, body, submission_id):
        """Reopen the period with a reason (audited); entries may then change."""
        return idempotent(
            SUBMISSION_OUT,
            200,
            lambda idem: submissions.reopen(
                actor(), submission_id, reason=body["reason"], idem=idem
            ),
        )
