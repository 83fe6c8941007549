"""Shapes of appointments: the staff view, the young person's own view, and their changes."""

from marshmallow import Schema, fields, validate

from api.fields import AwareDateTime, StrictSchema, Text
from api.people.schemas import MentorSummarySchema
from youthapp.models import APPOINTMENT_MODES, APPOINTMENT_STATUSES, YOUNG_PERSON_RESPONSES
from youthapp.vocabulary import LONDON_BOROUGHS

DURATION = validate.Range(min=5, max=480, error="Between 5 minutes and 8 hours.")


class MyAppointmentSchema(Schema):
    """An appointment as the young person sees it: no staff fields."""

    id = fields.UUID(required=True)
    young_person_id = fields.UUID(required=True)
    mentor_id = fields.UUID(required=True)
    mentor = fields.Nested(MentorSummarySchema, required=True)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(APPOINTMENT_MODES))
    location = fields.String(allow_none=True, required=True)
    borough = fields.String(allow_none=True)
    notes_for_young_person = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(APPOINTMENT_STATUSES))
    young_person_response = fields.String(
        required=True, validate=validate.OneOf(YOUNG_PERSON_RESPONSES)
    )
    response_message = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    updated_at = AwareDateTime(required=True)


class AppointmentSchema(MyAppointmentSchema):
    """The staff view. A young person reading /appointments/{appointment_id} gets it
    without `staff_notes` and the other staff fields."""

    staff_notes = fields.String(allow_none=True)
    override_reason = fields.String(allow_none=True)
    created_by_id = fields.UUID()
    cancelled_by_id = fields.UUID(allow_none=True)
    attendance_recorded_at = AwareDateTime(allow_none=True)
    created_at = AwareDateTime()


class _SafeContactFields(StrictSchema):
    """Where a booking is, and why it goes against the young person's safe contact."""

    borough = Text(
        40,
        allow_none=True,
        metadata={
            "enum": list(LONDON_BOROUGHS),
            "description": "Where it is: one of the young person's no-go boroughs is 409 "
            "without `override_reason`",
        },
    )
    override_reason = Text(
        1000,
        allow_none=True,
        load_only=True,
        metadata={
            "description": "Why it must be in a no-go borough or outside the young person's "
            "contact windows (staff-only; audited)"
        },
    )


class AppointmentCreateSchema(_SafeContactFields):
    young_person_id = fields.UUID(required=True)
    mentor_id = fields.UUID(required=True)
    starts_at = AwareDateTime(required=True, metadata={"example": "2026-12-01T18:00:00+00:00"})
    duration_minutes = fields.Integer(required=True, validate=DURATION)
    mode = fields.String(required=True, validate=validate.OneOf(APPOINTMENT_MODES))
    location = Text(200, allow_none=True)
    notes_for_young_person = Text(1000, allow_none=True)
    staff_notes = Text(4000, allow_none=True)


class AppointmentUpdateSchema(_SafeContactFields):
    starts_at = AwareDateTime()
    duration_minutes = fields.Integer(validate=DURATION)
    mode = fields.String(validate=validate.OneOf(APPOINTMENT_MODES))
    location = Text(200, allow_none=True)
    notes_for_young_person = Text(1000, allow_none=True)
    staff_notes = Text(4000, allow_none=True)


class AppointmentQueryArgsSchema(StrictSchema):
    since = AwareDateTime(data_key="from")
    until = AwareDateTime(data_key="to")
    young_person_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(APPOINTMENT_STATUSES))


class MyAppointmentQueryArgsSchema(StrictSchema):
    since = AwareDateTime(data_key="from")
    until = AwareDateTime(data_key="to")


class CancelSchema(StrictSchema):
    reason = Text(500, min_length=1, required=True)


class ResponseSchema(StrictSchema):
    response = fields.String(
        required=True, validate=validate.OneOf(("confirmed", "declined", "reschedule_requested"))
    )
    message = Text(500, allow_none=True)


class AttendanceSchema(StrictSchema):
    attended = fields.Boolean(required=True)


class CalendarTokenSchema(Schema):
    url = fields.Url(
        required=True,
        allow_none=True,
        metadata={
            "description": "Private: anyone with it can read it. Null only in a replay "
            "(Idempotency-Key): a stored answer keeps no key, so ask again"
        },
    )
