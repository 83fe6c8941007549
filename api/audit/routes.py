"""The audit trail, read-only, for admins."""

from flask.views import MethodView

from api.audit.schemas import AuditEventSchema, AuditQueryArgsSchema
from api.extensions import Blueprint
from api.pagination import fetch_page
from youthapp import audit
from youthapp.access import ADMIN

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="Who read or changed what (admins; read-only)",
)


@blp.route("")
class AuditTrail(MethodView):
    @blp.roles_required(ADMIN)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Audit events, newest first; filter by young person, actor, action and time."""
        return fetch_page(audit.events_query(**filters), pagination_parameters)
