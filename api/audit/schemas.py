"""Shapes of the audit trail."""

from marshmallow import Schema, fields

from api.fields import AwareDateTime, StrictSchema, Text


class AuditEventSchema(Schema):
    id = fields.UUID(required=True)
    occurred_at = AwareDateTime(required=True)
    actor_id = fields.UUID(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String(required=True, metadata={"example": "young_person.viewed"})
    young_person_id = fields.UUID(allow_none=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)


class AuditQueryArgsSchema(StrictSchema):
    young_person_id = fields.UUID()
    actor_id = fields.UUID()
    action = Text(50)
    since = AwareDateTime(data_key="from")
    until = AwareDateTime(data_key="to")
