"""Shapes of young people's records and their mentors' assignments, for staff."""

from marshmallow import Schema, fields, validate

from api.fields import PHONE, AwareDateTime, Email, StrictSchema, Text
from youthapp.models import ASSIGNMENT_END_REASONS, MENTOR_SPECIALTIES, YOUNG_PERSON_STATUSES
from youthapp.vocabulary import DOMAINS, LONDON_BOROUGHS


class MentorSummarySchema(Schema):
    id = fields.UUID(required=True)
    display_name = fields.String(required=True)
    specialty = fields.String(required=True, validate=validate.OneOf(MENTOR_SPECIALTIES))


class AssignmentSchema(Schema):
    id = fields.UUID(required=True)
    young_person_id = fields.UUID(required=True)
    mentor_id = fields.UUID(required=True)
    specialty = fields.String(required=True, validate=validate.OneOf(MENTOR_SPECIALTIES))
    mentor = fields.Nested(MentorSummarySchema, required=True)
    started_at = AwareDateTime(required=True)
    ended_at = AwareDateTime(allow_none=True)
    ended_reason = fields.String(
        allow_none=True,
        validate=validate.OneOf(ASSIGNMENT_END_REASONS),
        metadata={"description": "ended (by a coordinator), handover, or exited"},
    )
    is_live = fields.Boolean(required=True)


class AssignmentCreateSchema(StrictSchema):
    mentor_id = fields.UUID(required=True)


class SharingConsentsSchema(StrictSchema):
    mental_health = fields.Boolean()
    substance_misuse = fields.Boolean()
    housing = fields.Boolean()
    employment = fields.Boolean()


class ConsentsSchema(StrictSchema):
    """Consent per purpose: counting in outcome reports, and sharing with each mentor
    specialty (withdrawn, that specialty's mentors no longer see the record)."""

    reporting = fields.Boolean(metadata={"description": "Counted in anonymous outcome reports"})
    sharing = fields.Nested(SharingConsentsSchema)


class YoungPersonSchema(Schema):
    id = fields.UUID(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    date_of_birth = fields.Date(required=True)
    borough = fields.String(required=True)
    team_id = fields.UUID(required=True, metadata={"description": "The team of the borough"})
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    needs = fields.List(fields.String(validate=validate.OneOf(DOMAINS)), required=True)
    status = fields.String(required=True, validate=validate.OneOf(YOUNG_PERSON_STATUSES))
    has_account = fields.Boolean(required=True, metadata={"description": "Activated on the app"})
    activation_code_expires_at = AwareDateTime(allow_none=True)
    consents = fields.Nested(ConsentsSchema, required=True)
    mentors = fields.List(
        fields.Nested(AssignmentSchema),
        attribute="assignments",
        required=True,
        metadata={"description": "Live assignments"},
    )
    created_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)


class YoungPersonUpdateSchema(StrictSchema):
    status = fields.String(
        validate=validate.OneOf(YOUNG_PERSON_STATUSES),
        metadata={
            "description": "paused: no scheduled message reaches them and no check-in counts "
            "as missed; exited: assignments end, future appointments are cancelled, the "
            "schedule and any timer stop, and every sign-in ends"
        },
    )
    status_reason = Text(
        500,
        allow_none=True,
        metadata={"description": "Why (staff only; kept in the status history)"},
    )
    consents = fields.Nested(ConsentsSchema)
    phone = fields.String(allow_none=True, validate=[validate.Length(max=30), PHONE])
    email = Email(allow_none=True)
    borough = Text(
        40,
        min_length=1,
        metadata={
            "enum": list(LONDON_BOROUGHS),
            "description": "A borough of another team transfers the case there (the status "
            "history says `reason: transfer`; the old team's coordinators lose access, the "
            "assigned mentors keep theirs, the new team's coordinators are told)",
        },
    )


class YoungPersonQueryArgsSchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(YOUNG_PERSON_STATUSES))
    q = Text(100, metadata={"description": "Search by name"})


class ActivationCodeSchema(Schema):
    activation_code = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "example": "7KQM-2XPA-H9TD",
            "description": "Null only in a replay (Idempotency-Key): a stored answer keeps no "
            "code, so issue another",
        },
    )
    expires_at = AwareDateTime(required=True)


class ErasureSchema(StrictSchema):
    reason = Text(
        1000,
        min_length=1,
        required=True,
        metadata={"description": "Why (e.g. the young person's request); audited"},
    )


class ErasureResultSchema(Schema):
    young_person_id = fields.UUID(required=True)
    erased_at = AwareDateTime(required=True)


class AssignmentEndSchema(StrictSchema):
    handover_to_mentor_id = fields.UUID(
        allow_none=True,
        metadata={
            "description": "Hand the work over: this mentor is assigned (if not already) and "
            "takes the old mentor's future appointments. Without it they are cancelled."
        },
    )
    note = Text(4000, allow_none=True, metadata={"description": "Staff-only handover note"})


class HandoverSchema(Schema):
    id = fields.UUID(required=True)
    young_person_id = fields.UUID(required=True)
    assignment_id = fields.UUID(required=True)
    from_mentor_id = fields.UUID(required=True)
    to_mentor_id = fields.UUID(allow_none=True)
    note = fields.String(allow_none=True, metadata={"description": "Staff only"})
    appointments_moved = fields.Integer(required=True)
    appointments_cancelled = fields.Integer(required=True)
    created_by_id = fields.UUID(required=True)
    created_at = AwareDateTime(required=True)


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(YOUNG_PERSON_STATUSES))
    reason = fields.String(
        allow_none=True,
        metadata={"description": '"transfer" for a move between teams (the status stays)'},
    )
    from_team_id = fields.UUID(allow_none=True, metadata={"description": "A transfer's old team"})
    to_team_id = fields.UUID(allow_none=True, metadata={"description": "A transfer's new team"})
    changed_by_id = fields.UUID(allow_none=True)
    changed_at = AwareDateTime(required=True)
