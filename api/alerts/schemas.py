"""Shapes of alerts (staff only: no young person ever receives one)."""

from marshmallow import Schema, fields, validate

from api.fields import AwareDateTime, StrictSchema, Text
from youthapp.models import ALERT_KINDS, ALERT_RESOLUTIONS, ALERT_STATUSES


class AlertSchema(Schema):
    id = fields.UUID(required=True)
    young_person_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ALERT_KINDS))
    urgent = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ALERT_STATUSES))
    summary = fields.String(required=True)
    details = fields.Dict(required=True)
    subject_type = fields.String(allow_none=True)
    subject_id = fields.UUID(allow_none=True)
    occurrences = fields.Integer(required=True)
    created_at = AwareDateTime(required=True)
    last_occurred_at = AwareDateTime(required=True)
    acknowledged_at = AwareDateTime(allow_none=True)
    acknowledged_by_id = fields.UUID(allow_none=True)
    resolved_at = AwareDateTime(allow_none=True)
    resolved_by_id = fields.UUID(
        allow_none=True, metadata={"description": "Null when the facts resolved it"}
    )
    resolution = fields.String(
        allow_none=True,
        validate=validate.OneOf(ALERT_RESOLUTIONS),
        metadata={
            "description": "staff (resolved by a person), or what resolved it: all_clear (a "
            'late "I\'m safe"), attendance_corrected, checked_in_late, young_person_exited'
        },
    )
    note = fields.Function(
        lambda alert: alert.resolution_note,
        allow_none=True,
        metadata={"type": "string", "description": "What was done, from who resolved it"},
    )
    resolution_note = fields.String(allow_none=True, metadata={"description": "Same as note"})
    escalated_at = AwareDateTime(allow_none=True)


class AlertQueryArgsSchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS))
    young_person_id = fields.UUID()


class ResolveSchema(StrictSchema):
    note = Text(2000, min_length=1, required=True, metadata={"description": "What was done"})
