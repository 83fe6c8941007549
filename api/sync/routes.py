"""GET /me/sync: what the app shows on opening, in one round trip."""

from flask.views import MethodView

from api.database import db_session
from api.extensions import Blueprint, current_user, runtime
from api.sync.schemas import SyncQueryArgsSchema, SyncSchema
from api.views import Extended
from youthapp.access import YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.runtime import ContentUnavailable
from youthapp.services import sync

blp = Blueprint(
    "sync", __name__, url_prefix="/api/v1", description="One answer for a phone opening the app"
)


@blp.route("/me/sync")
class Sync(MethodView):
    @blp.read_only
    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(SyncQueryArgsSchema, location="query")
    @blp.response(200, SyncSchema)
    def get(self, query):
        """Everything the app shows on opening (your account, plan, appointments,
        notifications, schedule, safety plan version, help requests, messages, content
        version); with `since`, only what changed. Keep the answer's `cursor` for next time."""
        try:
            content_version = runtime().content().version
        except ContentUnavailable:
            content_version = None
        answer = sync.sync(
            db_session(),
            current_user(),
            query.get("since"),
            now=utcnow(),
            content_version=content_version,
        )
        me = Extended(answer.me, unread_messages=answer.unread_messages)
        return Extended(answer, me=me)
