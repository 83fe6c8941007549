"""Check-ins, check-in schedules and "check on me" safety timers."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt

from api.checkins.schemas import (
    CheckInCreateSchema,
    CheckInQueryArgsSchema,
    CheckInSchema,
    HelpRequestSchema,
    MyCheckInSchema,
    PinCheckResultSchema,
    PinCheckSchema,
    PinsSchema,
    ScheduleSchema,
    ScheduleUpdateSchema,
    TimerCreateSchema,
    TimerExtendSchema,
    TimerSafeSchema,
    TimerSchema,
)
from api.database import commit, db_session
from api.etags import ETAG_HEADER, if_match_tags, versioned, with_etag
from api.extensions import Blueprint, current_user, limiter, runtime
from api.pagination import fetch_page
from youthapp.access import YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.services import alerts, checkins, pins, schedules, timers

blp = Blueprint(
    "check_ins",
    __name__,
    url_prefix="/api/v1",
    description="Check-ins, schedules, safety timers and help requests",
)


@blp.route("/me/check-ins")
class MyCheckIns(MethodView):
    # Help is never throttled: a frightened young person pressing again must get through.
    decorators = [limiter.exempt]

    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(CheckInCreateSchema)
    @blp.response(201, MyCheckInSchema, headers=ETAG_HEADER)
    @blp.alt_response(
        200,
        schema=MyCheckInSchema,
        success=True,
        description="The same client_ref again: the first check-in, unchanged",
    )
    def post(self, data):
        """Check in: mood, whether you feel safe, and whether you need help now."""
        check_in, created = checkins.submit(db_session(), current_user(), data, now=utcnow())
        commit()
        return check_in, 201 if created else 200

    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(CheckInQueryArgsSchema, location="query")
    @blp.response(200, MyCheckInSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Your check-ins, newest first."""
        return fetch_page(
            checkins.my_check_ins_query(current_user(), **filters), pagination_parameters
        )


@blp.route("/young-people/<uuid:young_person_id>/check-ins")
class CheckInsOfYoungPerson(MethodView):
    @blp.case_route
    @blp.arguments(CheckInQueryArgsSchema, location="query")
    @blp.response(200, CheckInSchema(many=True))
    @blp.paginate()
    def get(self, filters, young_person_id, pagination_parameters):
        """A young person's check-ins, newest first (coordinators, assigned mentors)."""
        query = checkins.staff_check_ins_query(
            db_session(), current_user(), young_person_id, **filters
        )
        page = fetch_page(query, pagination_parameters)
        return page


@blp.route("/young-people/<uuid:young_person_id>/check-in-schedule")
class ScheduleOfYoungPerson(MethodView):
    @blp.case_route
    @blp.response(200, ScheduleSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self, young_person_id):
        """When the young person is expected to check in (inactive until one is set)."""
        view = schedules.get_schedule(
            db_session(),
            current_user(),
            young_person_id,
            default_zone=runtime().settings.default_timezone,
        )
        return versioned(view, view.version)

    @blp.case_route
    @blp.if_match_required
    @blp.arguments(ScheduleUpdateSchema)
    @blp.response(200, ScheduleSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def put(self, data, young_person_id):
        """Set the schedule: days, local time, grace minutes, active."""
        view = schedules.put_schedule(
            db_session(),
            current_user(),
            young_person_id,
            data,
            if_match=if_match_tags(),
            default_zone=runtime().settings.default_timezone,
            now=utcnow(),
        )
        commit()
        return with_etag(view, view.version)


@blp.route("/me/check-in-schedule")
class MySchedule(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, ScheduleSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self):
        """When you are asked to check in."""
        view = schedules.get_schedule(
            db_session(),
            current_user(),
            None,
            default_zone=runtime().settings.default_timezone,
        )
        return versioned(view, view.version)


@blp.route("/me/safety-timers")
class MyTimers(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.idempotent
    @blp.arguments(TimerCreateSchema)
    @blp.response(201, TimerSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Start a "check on me" timer: when you expect to be back safe."""
        timer = timers.start(
            db_session(),
            current_user(),
            expected_back_at=data["expected_back_at"],
            note=data.get("note"),
            now=utcnow(),
        )
        commit()
        return timer

    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, TimerSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Your timers, newest first."""
        return fetch_page(timers.my_timers_query(current_user()), pagination_parameters)


@blp.route("/me/help-requests")
class MyHelpRequests(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, HelpRequestSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Your calls for help, newest first, and whether someone has seen each."""
        return fetch_page(alerts.help_requests_query(current_user()), pagination_parameters)


@blp.route("/me/safety-timers/<uuid:timer_id>")
class MyTimer(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, TimerSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, timer_id):
        """One of your timers, with its history."""
        timer = timers.find_own(db_session(), current_user(), timer_id)
        return versioned(timer, timer.version)

    @blp.roles_required(YOUNG_PERSON)
    @blp.if_match_required
    @blp.arguments(TimerExtendSchema)
    @blp.response(200, TimerSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data, timer_id):
        """Give yourself longer: a later time, at most 24 hours ahead, at most 3 times."""
        timer = timers.extend(
            db_session(),
            current_user(),
            timer_id,
            expected_back_at=data["expected_back_at"],
            if_match=if_match_tags(),
            now=utcnow(),
        )
        commit()
        return with_etag(timer, timer.version)


@blp.route("/me/safety-timers/<uuid:timer_id>/safe")
class MarkSafe(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.idempotent
    @blp.arguments(TimerSafeSchema)
    @blp.response(200, TimerSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    def post(self, data, timer_id):
        """I'm safe: stop the timer (staff who were alerted get an all clear). Once you have
        PINs, send your `pin`."""
        timer = timers.mark_safe(
            db_session(),
            current_user(),
            timer_id,
            now=utcnow(),
            pin=data.get("pin"),
            hashing=runtime().hashing,
            session_id=get_jwt()["sid"],
        )
        commit()
        return timer


@blp.route("/me/pins")
class MyPins(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(PinsSchema)
    @blp.response(204)
    def put(self, data):
        """Set your app PIN and your second PIN, with your password."""
        pins.set_pins(
            db_session(),
            runtime().hashing,
            current_user(),
            current_password=data["current_password"],
            app_pin=data["app_pin"],
            duress_pin=data["duress_pin"],
            now=utcnow(),
        )
        commit()


@blp.route("/me/pin-check")
class PinCheck(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(PinCheckSchema)
    @blp.response(200, PinCheckResultSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Check your PIN when the app opens. Either of your PINs opens it."""
        pins.check(
            db_session(),
            runtime().hashing,
            current_user(),
            data["pin"],
            session_id=get_jwt()["sid"],
            location=data.get("location"),
            now=utcnow(),
        )
        commit()
        return {"ok": True}
