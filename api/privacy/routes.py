"""The young person's privacy rights: their data, who looked at it, and their consents."""

from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user, runtime
from api.pagination import fetch_rows
from api.people.schemas import ConsentsSchema
from api.privacy.schemas import AccessLogEntrySchema, ExportSchema
from youthapp.access import YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.models import YoungPerson
from youthapp.services import people, privacy

blp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/api/v1/me",
    description="Your data, who looked at it, and your consents",
)


@blp.route("/export")
class MyExport(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, ExportSchema)
    def get(self):
        """A copy of everything you can see in the app, as one JSON document."""
        export = privacy.export(
            db_session(),
            current_user(),
            now=utcnow(),
            show_names=runtime().settings.access_log_shows_names,
        )
        return export


@blp.route("/access-log")
class MyAccessLog(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, AccessLogEntrySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Which staff roles looked at or changed your record, and when (newest first)."""
        rows = fetch_rows(privacy.access_log_query(current_user()), pagination_parameters)
        return privacy.describe_access(rows, show_names=runtime().settings.access_log_shows_names)


@blp.route("/consents")
class MyConsents(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, ConsentsSchema)
    def get(self):
        """What you agree your information is used for."""
        return db_session().get_one(YoungPerson, current_user().young_person_id).consents

    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(ConsentsSchema)
    @blp.response(200, ConsentsSchema)
    def put(self, consents):
        """Change your consents; any left out stay as they are."""
        young_person = people.set_consents(
            db_session(), current_user(), current_user().young_person_id, consents, now=utcnow()
        )
        commit()
        return young_person.consents
