"""/api/v1/audit-events: who did what and when, with before and after (read-only)."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, make_blueprint
from tracker.schemas.audit import AuditEventOut, AuditQuery
from tracker.services import audit

blp = make_blueprint("audit", __name__, "/audit-events", "The audit log (admin; coordinators).")


@blp.route("")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEventOut(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Audit events, newest first; admins see all, coordinators their sites' events."""
        return audit.events_query(actor(), **args)
