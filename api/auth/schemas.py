"""Shapes of sign-in, tokens, the caller's own account and preferences."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import AwareDateTime, Email, StrictSchema, Timezone, WallClockTime
from youthapp.models import MENTOR_SPECIALTIES, REFERRER_TYPES, ROLES, YOUNG_PERSON_STATUSES


class LoginSchema(StrictSchema):
    email = Email(required=True)
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=1024), load_only=True
    )


class ActivationSchema(StrictSchema):
    activation_code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": "7KQM-2XPA-H9TD"},
    )
    email = Email(required=True)
    password = fields.String(
        required=True,
        validate=validate.Length(max=1024),
        load_only=True,
        metadata={"description": "At least 10 characters, not a common password"},
    )


class QuietHoursSchema(StrictSchema):
    start = WallClockTime(required=True, metadata={"example": "22:00"})
    end = WallClockTime(required=True, metadata={"example": "07:00"})


class PreferencesSchema(Schema):
    discreet_mode = fields.Boolean(required=True)
    location_sharing = fields.Boolean(required=True)
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True, required=True)
    language = fields.String(required=True, metadata={"example": "en"})
    timezone = fields.String(required=True, metadata={"example": "Europe/London"})


LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _language_code(value: str) -> None:
    if not LANGUAGE_CODE.fullmatch(value):
        raise ValidationError("Use a language code such as en or pl.")


class PreferencesUpdateSchema(StrictSchema):
    """Any subset of the preferences; those left out keep their values."""

    discreet_mode = fields.Boolean()
    location_sharing = fields.Boolean()
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    # \Z, not $: a "$" also matches before a trailing newline. 35 is the stored length.
    language = fields.String(
        validate=[validate.Length(max=35), _language_code],
        # The pattern for the document is ECMA-262 (what clients validate with); the check
        # above uses fullmatch, so a trailing newline cannot slip past a "$".
        metadata={"example": "en", "pattern": LANGUAGE_CODE.pattern},
    )
    timezone = Timezone(metadata={"example": "Europe/London"})

    @validates_schema
    def quiet_hours_differ(self, data, **kwargs):
        quiet = data.get("quiet_hours")
        if quiet and quiet["start"] == quiet["end"]:
            raise ValidationError("Start and end must differ.", "quiet_hours")


class MeSchema(Schema):
    id = fields.UUID(required=True)
    email = fields.Email(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(required=True)
    is_active = fields.Boolean(required=True)
    specialty = fields.String(
        allow_none=True,
        validate=validate.OneOf(MENTOR_SPECIALTIES),
        metadata={"description": "Mentors only"},
    )
    referrer_type = fields.String(
        allow_none=True,
        validate=validate.OneOf(REFERRER_TYPES),
        metadata={"description": "Referrers only"},
    )
    organisation = fields.String(allow_none=True, metadata={"description": "Referrers only"})
    young_person_id = fields.UUID(allow_none=True, metadata={"description": "Young people only"})
    unread_messages = fields.Integer(
        metadata={
            "description": "On GET /me: messages waiting to be read (a young person's from "
            "their team; staff's from the young people in their scope)"
        }
    )
    case_status = fields.String(
        allow_none=True,
        validate=validate.OneOf(YOUNG_PERSON_STATUSES),
        metadata={
            "description": "Young people only: active, paused, or exited (the app is closed "
            "but for your own data, consents and sign-ins, and help now always works)"
        },
    )
    preferences = fields.Nested(PreferencesSchema, required=True)
    created_at = AwareDateTime(required=True)


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds the access token lasts"}
    )
    refresh_expires_in = fields.Integer(required=True)
    user = fields.Nested(MeSchema, required=True)


class AcceptedSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("received",)))
    message = fields.String(required=True)


class LiveSignInSchema(Schema):
    id = fields.UUID(required=True)
    created_at = AwareDateTime(required=True)
    last_used_at = AwareDateTime(
        allow_none=True, required=True, metadata={"description": "Signed in, or last refreshed"}
    )
    platform = fields.String(
        allow_none=True, required=True, validate=validate.OneOf(("ios", "android", "web"))
    )
    current = fields.Boolean(required=True, metadata={"description": "This sign-in"})


class EndedSchema(Schema):
    ended = fields.Integer(required=True, metadata={"description": "How many sign-ins ended"})
