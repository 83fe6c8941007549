"""Shapes of the young person's own copy of their data, their access log and consents."""

from marshmallow import Schema, fields, validate

from api.appointments.schemas import MyAppointmentSchema
from api.auth.schemas import MeSchema
from api.checkins.schemas import HelpRequestSchema, MyCheckInSchema, ScheduleSchema, TimerSchema
from api.devices.schemas import DeviceSchema
from api.fields import AwareDateTime
from api.messages.schemas import MessageSchema
from api.notifications.schemas import NotificationSchema
from api.people.schemas import ConsentsSchema
from api.plans.schemas import MyGoalSchema, SafetyPlanSchema, safety_plan_document
from youthapp.models import MENTOR_SPECIALTIES, REFERRAL_STATUSES, REFERRER_TYPES, ROLES


class MyRecordSchema(Schema):
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    date_of_birth = fields.Date(required=True)
    borough = fields.String(required=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    needs = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    consents = fields.Nested(ConsentsSchema, required=True)
    created_at = AwareDateTime(required=True)


class ReferralFactsSchema(Schema):
    """How you came to the programme (what the referrer wrote about risks stays with staff)."""

    created_at = AwareDateTime(required=True, metadata={"description": "When you were referred"})
    referrer_type = fields.String(required=True, validate=validate.OneOf(REFERRER_TYPES))
    organisation = fields.String(required=True)
    needs = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(REFERRAL_STATUSES))
    decided_at = AwareDateTime(allow_none=True)


class MyMentorSchema(Schema):
    display_name = fields.String(required=True)
    specialty = fields.String(required=True, validate=validate.OneOf(MENTOR_SPECIALTIES))


class MyAssignmentSchema(Schema):
    mentor = fields.Nested(MyMentorSchema, required=True)
    started_at = AwareDateTime(required=True)
    ended_at = AwareDateTime(allow_none=True)


class MyPlanChangeSchema(Schema):
    occurred_at = AwareDateTime(required=True)
    by = fields.String(allow_none=True, metadata={"description": "The role of who changed it"})
    object_type = fields.String(required=True)
    object_id = fields.UUID(allow_none=True)
    action = fields.String(required=True)
    changes = fields.Dict(required=True, metadata={"description": "{field: [before, after]}"})


class CalendarFeedStateSchema(Schema):
    active = fields.Boolean(required=True)
    created_at = AwareDateTime(allow_none=True)


class SignInSchema(Schema):
    created_at = AwareDateTime(required=True)
    expires_at = AwareDateTime(required=True)
    revoked_at = AwareDateTime(allow_none=True)


class AccessLogEntrySchema(Schema):
    at = AwareDateTime(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    action = fields.String(required=True, metadata={"example": "young_person.viewed"})
    description = fields.String(
        required=True, metadata={"example": "mentor looked at young person"}
    )
    name = fields.String(metadata={"description": "Only where the programme shows names"})


class ExportSchema(Schema):
    """Everything you can see in the app, with your account, preferences, devices and history.
    Staff-only notes are not in it: ask the programme's data protection officer for those."""

    exported_at = AwareDateTime(required=True)
    held_back = fields.String(
        required=True, metadata={"description": "What is not in the export, and how to ask"}
    )
    account = fields.Nested(MeSchema, required=True)
    young_person = fields.Nested(MyRecordSchema, required=True)
    referral = fields.Nested(
        ReferralFactsSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The referral that brought you to the programme"},
    )
    referrals = fields.List(
        fields.Nested(ReferralFactsSchema),
        required=True,
        metadata={"description": "Every referral, if you were referred more than once"},
    )
    help_requests = fields.List(fields.Nested(HelpRequestSchema), required=True)
    assignments = fields.List(fields.Nested(MyAssignmentSchema), required=True)
    plan = fields.Method(
        "dump_plan",
        required=True,
        metadata={"type": "object", "description": "Your goals and steps"},
    )
    plan_history = fields.List(fields.Nested(MyPlanChangeSchema), required=True)
    safety_plan = fields.Method("dump_safety_plan", required=True, metadata={"type": "object"})
    appointments = fields.List(fields.Nested(MyAppointmentSchema), required=True)
    calendar_feed = fields.Nested(CalendarFeedStateSchema, required=True)
    check_ins = fields.List(fields.Nested(MyCheckInSchema), required=True)
    messages = fields.List(
        fields.Nested(MessageSchema),
        required=True,
        metadata={"description": "Your thread with your team, oldest first"},
    )
    check_in_schedule = fields.Method(
        "dump_schedule", allow_none=True, required=True, metadata={"type": "object"}
    )
    safety_timers = fields.List(fields.Nested(TimerSchema), required=True)
    notifications = fields.List(fields.Nested(NotificationSchema), required=True)
    devices = fields.List(fields.Nested(DeviceSchema), required=True)
    sign_ins = fields.List(fields.Nested(SignInSchema), required=True)
    access_log = fields.List(fields.Nested(AccessLogEntrySchema), required=True)

    def dump_plan(self, export):
        return {"goals": MyGoalSchema(many=True).dump(export.goals)}

    def dump_safety_plan(self, export):
        return SafetyPlanSchema().dump(
            safety_plan_document(export.young_person.id, export.safety_plan)
        )

    def dump_schedule(self, export):
        schedule = export.check_in_schedule
        if schedule is None:
            return None
        return ScheduleSchema().dump(
            {
                **{
                    c: getattr(schedule, c)
                    for c in (
                        "young_person_id",
                        "days",
                        "local_time",
                        "timezone",
                        "grace_minutes",
                        "active",
                        "updated_at",
                    )
                }
            }
        )
