"""Shapes of the devices a user registers for push notifications."""

from marshmallow import Schema, fields, validate

from api.fields import AwareDateTime, StrictSchema, Text
from youthapp.models import PLATFORMS
from youthapp.services.devices import MAX_PUSH_TOKEN_LENGTH


class DeviceSchema(Schema):
    """One of your devices. The push token is not sent back: the device has it already."""

    id = fields.UUID(required=True)
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    created_at = AwareDateTime(required=True)
    last_seen_at = AwareDateTime(
        required=True, metadata={"description": "When the device last registered"}
    )
    disabled_at = AwareDateTime(
        allow_none=True,
        required=True,
        metadata={
            "description": "When its push service said the token no longer works; "
            "registering the device again re-enables it"
        },
    )


class DeviceCreateSchema(StrictSchema):
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    push_token = Text(
        MAX_PUSH_TOKEN_LENGTH,
        min_length=1,
        required=True,
        metadata={
            "description": "ios/android: the FCM registration token. web: the browser's "
            "PushSubscription as a JSON string (JSON.stringify(subscription)), whose "
            "endpoint must be https"
        },
    )
