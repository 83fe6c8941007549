"""Alerts for staff: what needs acting on, for coordinators and the young person's mentors."""

from flask.views import MethodView

from api.alerts.schemas import AlertQueryArgsSchema, AlertSchema
from api.database import db_session
from api.extensions import Blueprint, current_user
from api.pagination import fetch_page
from youthapp.access import COORDINATOR, MENTOR
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
        page = fetch_page(alerts.alerts_query(current_user(), **filters), pagination_parameters)
        db_session().commit()
        return page
