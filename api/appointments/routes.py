"""Appointments with mentors, the young person's answers, attendance, and the calendar feed."""

from flask import Response, url_for
from flask.views import MethodView

from api.appointments.schemas import (
    AppointmentCreateSchema,
    AppointmentQueryArgsSchema,
    AppointmentSchema,
    AppointmentUpdateSchema,
    AttendanceSchema,
    CalendarTokenSchema,
    CancelSchema,
    MyAppointmentQueryArgsSchema,
    MyAppointmentSchema,
    ResponseSchema,
)
from api.database import commit, db_session
from api.etags import ETAG_HEADER, if_match_tags, versioned, with_etag
from api.extensions import Blueprint, current_user, runtime
from api.pagination import fetch_page
from api.views import Redacted
from youthapp.access import COORDINATOR, MENTOR, YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.models import Appointment, User
from youthapp.services import appointments, calendar

blp = Blueprint(
    "appointments",
    __name__,
    url_prefix="/api/v1",
    description="Appointments with mentors, and the private calendar feed",
)

_MINE = MyAppointmentSchema()


def shown_to(actor: User, appointment: Appointment) -> Appointment | Redacted:
    return Redacted(appointment, _MINE) if actor.role == YOUNG_PERSON else appointment


def _answer(appointment: Appointment):
    return with_etag(shown_to(current_user(), appointment), appointment.version)


@blp.route("/appointments")
class Appointments(MethodView):
    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.idempotent
    @blp.arguments(AppointmentCreateSchema)
    @blp.response(201, AppointmentSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Book an appointment (a mentor or young person double-booked is 409)."""
        appointment = appointments.book(db_session(), current_user(), data, now=utcnow())
        commit()
        return with_etag(appointment, appointment.version)

    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.arguments(AppointmentQueryArgsSchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Appointments: all for coordinators, a mentor's own; in time order."""
        actor = current_user()
        page = fetch_page(
            appointments.appointments_query(actor, **filters),
            pagination_parameters,
            audit_as="appointment",
        )
        return page


@blp.route("/me/appointments")
class MyAppointments(MethodView):
    @blp.read_only
    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(MyAppointmentQueryArgsSchema, location="query")
    @blp.response(200, MyAppointmentSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Your appointments: upcoming first, soonest first; then past ones."""
        query = appointments.my_appointments_query(current_user(), now=utcnow(), **filters)
        return fetch_page(query, pagination_parameters)


@blp.route("/appointments/<uuid:appointment_id>")
class AppointmentById(MethodView):
    @blp.case_route
    @blp.response(200, AppointmentSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self, appointment_id):
        """An appointment (the young person's own without staff fields)."""
        appointment = appointments.view_appointment(db_session(), current_user(), appointment_id)
        return versioned(shown_to(current_user(), appointment), appointment.version)

    @blp.case_route
    @blp.if_match_required
    @blp.arguments(AppointmentUpdateSchema)
    @blp.response(200, AppointmentSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, appointment_id):
        """Reschedule or edit (coordinators and its mentor); the young person is told."""
        appointment = appointments.update(
            db_session(),
            current_user(),
            appointment_id,
            changes,
            if_match=if_match_tags(),
            now=utcnow(),
        )
        commit()
        return _answer(appointment)


@blp.route("/appointments/<uuid:appointment_id>/cancel")
class CancelAppointment(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(CancelSchema)
    @blp.response(200, AppointmentSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, appointment_id):
        """Cancel, with a reason (staff or the young person); the other side is told."""
        appointment = appointments.cancel(
            db_session(), current_user(), appointment_id, reason=data["reason"], now=utcnow()
        )
        commit()
        return _answer(appointment)


@blp.route("/appointments/<uuid:appointment_id>/response")
class RespondToAppointment(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(ResponseSchema)
    @blp.response(200, AppointmentSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, appointment_id):
        """The young person confirms, declines or asks to reschedule; the mentor is told."""
        appointment = appointments.respond(
            db_session(),
            current_user(),
            appointment_id,
            response=data["response"],
            message=data.get("message"),
            now=utcnow(),
        )
        commit()
        return _answer(appointment)


@blp.route("/appointments/<uuid:appointment_id>/attendance")
class Attendance(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(AttendanceSchema)
    @blp.response(200, AppointmentSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, appointment_id):
        """Record attendance once it has started; a miss raises a missed_appointment alert."""
        appointment = appointments.record_attendance(
            db_session(), current_user(), appointment_id, attended=data["attended"], now=utcnow()
        )
        commit()
        return _answer(appointment)


def _feed_url(token: str) -> dict:
    return {"url": url_for("appointments.CalendarFeedByToken", token=token, _external=True)}


@blp.route("/me/calendar-token")
class MyCalendarToken(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, CalendarTokenSchema)
    def get(self):
        """The private address of your calendar feed (made on first use)."""
        token = calendar.feed_token(
            db_session(), current_user(), settings=runtime().settings, now=utcnow()
        )
        return _feed_url(token)

    @blp.roles_required(YOUNG_PERSON)
    @blp.idempotent
    @blp.response(201, CalendarTokenSchema)
    def post(self):
        """A new address for your calendar feed; the old one stops working."""
        token = calendar.feed_token(
            db_session(), current_user(), settings=runtime().settings, now=utcnow(), renew=True
        )
        commit()
        return _feed_url(token)

    @blp.roles_required(YOUNG_PERSON)
    @blp.response(204)
    def delete(self):
        """Turn your calendar feed off."""
        calendar.revoke_feed(db_session(), current_user())
        commit()


@blp.route("/calendar/<string:token>.ics")
class CalendarFeedByToken(MethodView):
    @blp.response(
        200,
        {"type": "string"},
        content_type="text/calendar",
        description="An RFC 5545 calendar of your appointments",
    )
    def get(self, token):
        """The calendar feed (no login: the token in the address is the key)."""
        body = calendar.render_feed(db_session(), token, settings=runtime().settings, now=utcnow())
        return Response(
            body, mimetype="text/calendar", headers={"Cache-Control": "private, no-store"}
        )
