"""Shapes of check-ins, check-in schedules, safety timers and help requests."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import AwareDateTime, StrictSchema, Text, Timezone, WallClockTime
from youthapp.models import TIMER_STATUSES, WEEKDAYS
from youthapp.services.alerts import HELP_REQUEST_KINDS


class LocationSchema(StrictSchema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class CheckInCreateSchema(StrictSchema):
    client_ref = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(r"^[A-Za-z0-9._:-]+$", error="Letters, digits and . _ : - only."),
        ],
        metadata={
            "description": "Made by the phone; a retry with the same one is the same check-in"
        },
    )
    mood = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    feeling_safe = fields.Boolean(required=True)
    needs_help = fields.Boolean(required=True)
    note = Text(1000, allow_none=True)
    location = fields.Nested(
        LocationSchema,
        allow_none=True,
        metadata={
            "description": "Kept only when location sharing is on, and then to 3 decimal places"
        },
    )


class MyCheckInSchema(Schema):
    id = fields.UUID(required=True)
    client_ref = fields.String(required=True)
    mood = fields.Integer(required=True)
    feeling_safe = fields.Boolean(required=True)
    needs_help = fields.Boolean(required=True)
    note = fields.String(allow_none=True, required=True)
    location = fields.Nested(LocationSchema, allow_none=True, required=True)
    created_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)


class CheckInSchema(MyCheckInSchema):
    """A check-in as staff see it, with the alerts it raised."""

    young_person_id = fields.UUID(required=True)
    alert_ids = fields.List(fields.UUID(), required=True)


class CheckInQueryArgsSchema(StrictSchema):
    updated_since = AwareDateTime(metadata={"description": "Only those changed since (for sync)"})


class ScheduleSchema(Schema):
    young_person_id = fields.UUID(required=True)
    days = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), required=True)
    local_time = WallClockTime(required=True, metadata={"example": "18:00", "type": "string"})
    timezone = fields.String(required=True, metadata={"example": "Europe/London"})
    grace_minutes = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    updated_at = AwareDateTime(allow_none=True, required=True)


class ScheduleUpdateSchema(StrictSchema):
    days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        validate=validate.Length(max=7),
    )
    local_time = WallClockTime(required=True, metadata={"example": "18:00", "type": "string"})
    grace_minutes = fields.Integer(required=True, validate=validate.Range(min=0, max=720))
    active = fields.Boolean(required=True)
    timezone = Timezone(metadata={"description": "Defaults to the young person's own zone"})

    @validates_schema
    def active_needs_days(self, data, **kwargs):
        if data.get("active") and not data.get("days"):
            raise ValidationError("An active schedule needs at least one day.", "days")


class TimerCreateSchema(StrictSchema):
    expected_back_at = AwareDateTime(required=True)
    note = Text(500, allow_none=True, metadata={"description": "Where you are going (optional)"})


def _pin(description: str = "4 to 8 digits", **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(r"^[0-9]{4,8}$", error="4 to 8 digits."),
        load_only=True,
        metadata={"description": description, "pattern": "^[0-9]{4,8}$"},
        **kwargs,
    )


class TimerEventSchema(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    event = fields.String(
        required=True,
        validate=validate.OneOf(("started", "extended", "safe", "stopped", "expired")),
    )
    expected_back_at = fields.String(required=True, metadata={"format": "date-time"})


class TimerSchema(Schema):
    id = fields.UUID(required=True)
    expected_back_at = AwareDateTime(required=True)
    note = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(TIMER_STATUSES))
    created_at = AwareDateTime(required=True)
    stopped_at = AwareDateTime(allow_none=True, required=True)
    extensions = fields.Integer(
        required=True, metadata={"description": "Times made longer (at most 3)"}
    )
    history = fields.List(fields.Nested(TimerEventSchema), required=True)


class TimerSafeSchema(StrictSchema):
    pin = _pin("Needed once you have set PINs (4 to 8 digits)", load_default=None)


class TimerExtendSchema(StrictSchema):
    expected_back_at = AwareDateTime(
        required=True,
        metadata={"description": "Later than now set, at most 24 hours from now"},
    )


class PinsSchema(StrictSchema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=1024)
    )
    app_pin = _pin(required=True)
    duress_pin = _pin(
        "4 to 8 digits, not the app PIN: it opens the app the same way", required=True
    )


class PinCheckSchema(StrictSchema):
    pin = _pin(required=True)
    location = fields.Nested(
        LocationSchema,
        metadata={"description": "Kept only when location sharing is on, to about 100 m"},
    )


class PinCheckResultSchema(Schema):
    ok = fields.Boolean(required=True)


HELP_REQUEST_STATUSES = ("sent", "seen", "resolved")
_HELP_REQUEST_STATUS = {"open": "sent", "acknowledged": "seen", "resolved": "resolved"}


class HelpRequestSchema(Schema):
    """One of your calls for help, and whether someone has seen it (no staff names or notes)."""

    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(HELP_REQUEST_KINDS))
    created_at = AwareDateTime(required=True)
    status = fields.Function(
        lambda alert: _HELP_REQUEST_STATUS[alert.status_shown_to_young_person],
        required=True,
        metadata={
            "type": "string",
            "enum": list(HELP_REQUEST_STATUSES),
            "description": "sent, seen (someone on staff is on it) or resolved",
        },
    )
    seen_at = AwareDateTime(allow_none=True, required=True, attribute="acknowledged_at")
    resolved_at = AwareDateTime(
        allow_none=True, required=True, attribute="resolved_at_shown_to_young_person"
    )
