"""Your notifications inbox."""

from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user
from api.notifications.schemas import InboxQueryArgsSchema, NotificationSchema
from api.pagination import fetch_page
from youthapp.clock import utcnow
from youthapp.services import notifications

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/me/notifications",
    description="Your notifications",
)


@blp.route("")
class Inbox(MethodView):
    @blp.login_required
    @blp.arguments(InboxQueryArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Your notifications, newest first."""
        return fetch_page(
            notifications.inbox_query(current_user(), **filters), pagination_parameters
        )


@blp.route("/<uuid:notification_id>/read")
class MarkRead(MethodView):
    @blp.login_required
    @blp.idempotent
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark a notification read."""
        notification = notifications.mark_read(
            db_session(), current_user(), notification_id, now=utcnow()
        )
        commit()
        return notification
