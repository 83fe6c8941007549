"""The thread between a young person and the staff in scope of their case."""

from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user, runtime
from api.messages.schemas import (
    MessageSchema,
    MyMessageCreateSchema,
    ReadUpToSchema,
    StaffMessageCreateSchema,
    ThreadQueryArgsSchema,
)
from api.pagination import fetch_page
from youthapp import windows
from youthapp.access import COORDINATOR, MENTOR, YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.runtime import ContentUnavailable, duty_line
from youthapp.services import messages

blp = Blueprint(
    "messages",
    __name__,
    url_prefix="/api/v1",
    description="Messages between a young person and their team",
)


@blp.route("/me/messages")
class MyMessages(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(ThreadQueryArgsSchema, location="query")
    @blp.response(200, MessageSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Your messages with your team, newest first."""
        thread = messages.my_thread_query(current_user(), updated_since=query.get("updated_since"))
        return fetch_page(thread, pagination_parameters)

    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(MyMessageCreateSchema)
    @blp.response(201, MessageSchema)
    @blp.alt_response(
        200,
        schema=MessageSchema,
        description="The same client_ref again: the first message, unchanged",
    )
    def post(self, data):
        """Write to your team. Out of staffed hours you get an automatic reply saying
        where to get help now."""
        settings = runtime().settings
        try:
            crisis = runtime().content().crisis()
        except ContentUnavailable:
            crisis = None
        message, created = messages.send_mine(
            db_session(),
            current_user(),
            client_ref=data["client_ref"],
            body=data["body"],
            now=utcnow(),
            staffed_hours=windows.parse(settings.staffed_hours) if settings.staffed_hours else None,
            zone=settings.default_timezone,
            duty_line=duty_line(settings),
            crisis_contacts=crisis,
        )
        commit()
        return message, 201 if created else 200


@blp.route("/me/messages/read")
class MyMessagesRead(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(ReadUpToSchema)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data):
        """You have read your team's messages up to this one."""
        messages.mark_mine_read(
            db_session(), current_user(), data["up_to_message_id"], now=utcnow()
        )
        commit()


@blp.route("/young-people/<uuid:young_person_id>/messages")
class Thread(MethodView):
    @blp.case_route
    @blp.arguments(ThreadQueryArgsSchema, location="query")
    @blp.response(200, MessageSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate()
    def get(self, query, young_person_id, pagination_parameters):
        """The young person's thread with their team, newest first (staff in scope)."""
        thread = messages.thread_query(
            db_session(), current_user(), young_person_id, updated_since=query.get("updated_since")
        )
        return fetch_page(thread, pagination_parameters)

    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.idempotent
    @blp.arguments(StaffMessageCreateSchema)
    @blp.response(201, MessageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, young_person_id):
        """Write in the thread: the young person is told (discreetly), and whatever they
        were waiting on is answered."""
        message = messages.send_as_staff(
            db_session(), current_user(), young_person_id, body=data["body"], now=utcnow()
        )
        commit()
        return message


@blp.route("/young-people/<uuid:young_person_id>/messages/read")
class ThreadRead(MethodView):
    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.arguments(ReadUpToSchema)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, young_person_id):
        """You have read the thread up to this message."""
        messages.mark_read_as_staff(
            db_session(), current_user(), young_person_id, data["up_to_message_id"], now=utcnow()
        )
        commit()
