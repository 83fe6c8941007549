"""Shapes of the thread between a young person and their team."""

from marshmallow import Schema, fields, validate

from api.dumps import CompiledDump
from api.fields import AwareDateTime, StrictSchema, Text
from youthapp.models import SENDER_ROLES
from youthapp.services.messages import MAX_LENGTH


class SenderSchema(Schema):
    role = fields.String(
        required=True,
        validate=validate.OneOf(SENDER_ROLES),
        metadata={"description": "`programme`: the automatic reply out of staffed hours"},
    )
    display_name = fields.String(required=True)


class MessageSchema(CompiledDump):
    id = fields.UUID(required=True)
    body = fields.String(required=True, metadata={"description": "Plain text, as sent"})
    sent_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)
    sender = fields.Nested(SenderSchema, required=True)
    read_by_young_person_at = AwareDateTime(allow_none=True, required=True)
    client_ref = fields.String(allow_none=True, metadata={"description": "The young person's"})


class MyMessageCreateSchema(StrictSchema):
    client_ref = Text(
        64,
        min_length=1,
        required=True,
        metadata={"description": "Made by the phone; the same again is the same message"},
    )
    body = Text(MAX_LENGTH, min_length=1, required=True, metadata={"description": "Plain text"})


class StaffMessageCreateSchema(StrictSchema):
    body = Text(MAX_LENGTH, min_length=1, required=True, metadata={"description": "Plain text"})


class ReadUpToSchema(StrictSchema):
    up_to_message_id = fields.UUID(required=True)


class ThreadQueryArgsSchema(StrictSchema):
    updated_since = AwareDateTime(metadata={"description": "Only those changed since (for sync)"})
