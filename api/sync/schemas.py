"""The one answer a phone gets when it opens the app."""

from marshmallow import fields

from api.appointments.schemas import MyAppointmentSchema
from api.auth.schemas import MeSchema
from api.checkins.schemas import HelpRequestSchema, ScheduleSchema
from api.dumps import CompiledDump
from api.fields import StrictSchema
from api.messages.schemas import MessageSchema
from api.notifications.schemas import NotificationSchema
from api.plans.schemas import MyPlanSchema


class SyncQueryArgsSchema(StrictSchema):
    since = fields.String(
        metadata={"description": "The `cursor` of the last answer; without it, everything"}
    )


class SyncSchema(CompiledDump):
    cursor = fields.String(
        required=True, metadata={"description": "Opaque: send it as `since` next time"}
    )
    full = fields.Boolean(
        required=True, metadata={"description": "Everything (no `since`), not only changes"}
    )
    me = fields.Nested(MeSchema, required=True)
    plan = fields.Nested(
        MyPlanSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Only when its version changed; null otherwise"},
    )
    plan_version = fields.Integer(required=True)
    appointments = fields.List(fields.Nested(MyAppointmentSchema), required=True)
    notifications = fields.List(fields.Nested(NotificationSchema), required=True)
    check_in_schedule = fields.Nested(
        ScheduleSchema, allow_none=True, required=True, metadata={"description": "If changed"}
    )
    safety_plan_version = fields.Integer(
        required=True, metadata={"description": "0 before one is written; fetch it if changed"}
    )
    help_requests = fields.List(fields.Nested(HelpRequestSchema), required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)
    content_version = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Changes when crisis contacts, articles or services do"},
    )
