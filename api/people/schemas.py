"""Shapes of young people's records and their mentors' assignments, for staff."""

from marshmallow import Schema, fields, validate

from api.fields import PHONE, AwareDateTime, Email, StrictSchema, Text, WallClockTime
from youthapp.models import (
    ASSIGNMENT_END_REASONS,
    MENTOR_SPECIALTIES,
    WEEKDAYS,
    YOUNG_PERSON_STATUSES,
)
from youthapp.services.consents import CONSENT_GIVERS
from youthapp.services.contact import CHANNELS
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
    reconfirm = fields.Boolean(
        load_only=True,
        metadata={"description": "You have looked again at your choices: the review is done"},
    )
    review_due = fields.Boolean(
        dump_only=True,
        metadata={"description": "On the 16th and 18th birthdays: look at these again"},
    )


class SignInsSummarySchema(Schema):
    count = fields.Integer(required=True, metadata={"description": "Sign-ins still live"})
    last_used_at = AwareDateTime(allow_none=True, required=True)


class WindowSchema(StrictSchema):
    days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        validate=validate.Length(min=1, max=7),
    )
    from_ = WallClockTime(required=True, data_key="from", attribute="from")
    to = WallClockTime(
        required=True, metadata={"description": "Before `from`: the window runs past midnight"}
    )


class ContactPreferencesSchema(StrictSchema):
    windows = fields.List(
        fields.Nested(WindowSchema),
        required=True,
        validate=validate.Length(max=21),
        metadata={"description": "When non-urgent messages may reach you; none: any time"},
    )
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        required=True,
        validate=validate.Length(max=len(CHANNELS)),
    )
    no_go_boroughs = fields.List(
        Text(40, min_length=1, metadata={"enum": list(LONDON_BOROUGHS)}),
        required=True,
        validate=validate.Length(max=len(LONDON_BOROUGHS)),
    )


class LockdownSchema(StrictSchema):
    reason = Text(1000, min_length=1, required=True, metadata={"description": "Staff only"})


class LockdownResultSchema(Schema):
    young_person_id = fields.UUID(required=True)
    locked_down_at = AwareDateTime(required=True)


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
    consent_given_by = fields.String(
        allow_none=True,
        validate=validate.OneOf(CONSENT_GIVERS),
        metadata={"description": "Who consented at referral"},
    )
    consent_competence_assessed = fields.Boolean(allow_none=True)
    consent_review_due_since = AwareDateTime(allow_none=True)
    contact_preferences = fields.Nested(
        ContactPreferencesSchema,
        metadata={"description": "On the single record: when, how and where to reach them"},
    )
    sign_ins = fields.Nested(
        SignInsSummarySchema,
        metadata={"description": "On the single record: the account's live sign-ins"},
    )
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
