"""Shapes of the in-app inbox."""

from marshmallow import Schema, fields, validate

from api.fields import AwareDateTime, StrictSchema
from youthapp.models import NOTIFICATION_KINDS


class NotificationSchema(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_KINDS))
    title = fields.String(required=True)
    body = fields.String(required=True)
    data = fields.Dict(
        required=True,
        metadata={"description": "Names the subject: appointment_id, alert_id, goal_id, ..."},
    )
    created_at = AwareDateTime(required=True)
    read_at = AwareDateTime(allow_none=True, required=True)


class InboxQueryArgsSchema(StrictSchema):
    unread = fields.Boolean(metadata={"description": "true: only unread; false: only read"})
