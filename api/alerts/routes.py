"""Alerts for staff: what needs acting on, for coordinators and the young person's mentors."""

from flask.views import MethodView

from api.alerts.schemas import AlertQueryArgsSchema, AlertSchema, ResolveSchema
from api.database import commit, db_session
from api.extensions import Blueprint, current_user
from api.pagination import fetch_page
from youthapp.access import COORDINATOR, MENTOR
from youthapp.clock import utcnow
from youthapp.services import alerts

blp = Blueprint(
    "alerts", __name__, url_prefix="/api/v1/alerts", description="Alerts staff must act on"
)


@blp.route("")
class Alerts(MethodView):
    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.arguments(AlertQueryArgsSchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Alerts: all for coordinators, those about their young people for mentors;
        urgent first, then newest."""
        actor = current_user()
        page = fetch_page(
            alerts.alerts_query(actor, **filters), pagination_parameters, audit_as="alert"
        )
        return page


@blp.route("/<uuid:alert_id>")
class AlertById(MethodView):
    @blp.case_route
    @blp.response(200, AlertSchema)
    def get(self, alert_id):
        """An alert."""
        alert = alerts.view_alert(db_session(), current_user(), alert_id)
        return alert


@blp.route("/<uuid:alert_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.response(200, AlertSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, alert_id):
        """I'm on it: stops the escalation clock."""
        alert = alerts.acknowledge(db_session(), current_user(), alert_id, now=utcnow())
        commit()
        return alert


@blp.route("/<uuid:alert_id>/resolve")
class Resolve(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(ResolveSchema)
    @blp.response(200, AlertSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, alert_id):
        """Close the alert, saying what was done."""
        alert = alerts.resolve(
            db_session(), current_user(), alert_id, note=data["note"], now=utcnow()
        )
        commit()
        return alert
