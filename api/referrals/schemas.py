"""Shapes of referrals: what a referrer sends, what they may follow, what a coordinator reads."""

from marshmallow import Schema, fields, post_dump, validate

from api.fields import PHONE, AwareDateTime, Email, StrictSchema, Text
from api.people.schemas import ConsentsSchema
from youthapp.models import REFERRAL_STATUSES, REFERRER_TYPES
from youthapp.services.consents import CONSENT_GIVERS
from youthapp.vocabulary import DOMAINS, LONDON_BOROUGHS


class ReferralConsentSchema(StrictSchema):
    given_by = fields.String(required=True, validate=validate.OneOf(CONSENT_GIVERS))
    competence_assessed = fields.Boolean(
        metadata={"description": "Under 16: the young person was assessed as able to consent"}
    )


class ReferralCreateSchema(StrictSchema):
    first_name = Text(100, min_length=1, required=True)
    last_name = Text(100, min_length=1, required=True)
    date_of_birth = fields.Date(required=True, metadata={"example": "2010-05-17"})
    borough = Text(
        40,
        min_length=1,
        required=True,
        metadata={"description": "A London borough", "enum": list(LONDON_BOROUGHS)},
    )
    phone = fields.String(allow_none=True, validate=[validate.Length(max=30), PHONE])
    email = Email(allow_none=True)
    needs = fields.List(
        fields.String(validate=validate.OneOf(DOMAINS)),
        required=True,
        validate=validate.Length(min=1, max=len(DOMAINS)),
    )
    reason = Text(2000, min_length=1, required=True)
    risk_notes = Text(4000, allow_none=True, metadata={"description": "Staff only"})
    consent_obtained = fields.Boolean(required=True, metadata={"description": "Must be true"})
    consent = fields.Nested(
        ReferralConsentSchema,
        metadata={
            "description": "Who consented. Under 16: a parent or carer (the default), or the "
            "young person with `competence_assessed: true`; from 16 the young person (the "
            "default)"
        },
    )


class ReferralStatusSchema(Schema):
    """What the referrer who made it may follow: its status, not the case."""

    id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REFERRAL_STATUSES))
    initials = fields.String(required=True, metadata={"description": "The young person's initials"})
    referrer_type = fields.String(required=True, validate=validate.OneOf(REFERRER_TYPES))
    organisation = fields.String(required=True)
    created_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)
    decided_at = AwareDateTime(allow_none=True)
    withdrawn_at = AwareDateTime(allow_none=True)


class ReferralSchema(ReferralStatusSchema):
    """The whole referral, for coordinators; referrers get only the status fields."""

    referrer_id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    date_of_birth = fields.Date()
    consent_given_by = fields.String(allow_none=True, validate=validate.OneOf(CONSENT_GIVERS))
    consent_competence_assessed = fields.Boolean(allow_none=True)
    borough = fields.String()
    team_id = fields.UUID(metadata={"description": "The team of the borough, which triages it"})
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    needs = fields.List(fields.String(validate=validate.OneOf(DOMAINS)))
    reason = fields.String()
    risk_notes = fields.String(allow_none=True)
    consent_obtained = fields.Boolean()
    decision_reason = fields.String(allow_none=True)
    decided_by_id = fields.UUID(allow_none=True)
    young_person_id = fields.UUID(allow_none=True)


class PossibleDuplicateSchema(Schema):
    """A record that may be the same person: a young person, or another open referral."""

    young_person_id = fields.UUID(metadata={"description": "A young person's record"})
    referral_id = fields.UUID(metadata={"description": "Another open referral"})
    match = fields.String(
        required=True,
        validate=validate.OneOf(("name_and_date_of_birth",)),
        metadata={"description": "What matched (names ignore case and accents)"},
    )
    status = fields.String(
        allow_none=True, metadata={"description": "The record's status (active, exited, ...)"}
    )

    @post_dump
    def _name_one_record(self, data, **kwargs):
        # Each names either a young person or a referral: the other is absent, not null.
        return {name: value for name, value in data.items() if value is not None}


class ReferralDetailSchema(ReferralSchema):
    """One referral, as a coordinator reads it, with the records it may duplicate."""

    possible_duplicates = fields.List(fields.Nested(PossibleDuplicateSchema))


class ReferralQueryArgsSchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(REFERRAL_STATUSES))


class DecisionSchema(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))
    reason = Text(2000, allow_none=True, metadata={"description": "Required to decline"})
    consents = fields.Nested(
        ConsentsSchema,
        metadata={
            "description": "On accepting: consent per purpose "
            "(reporting off and sharing on unless given)"
        },
    )
    link_to_young_person_id = fields.UUID(
        allow_none=True,
        metadata={
            "description": "On accepting: the young person is already known (see "
            "possible_duplicates); the referral joins that record instead of enrolling anyone "
            "new, and one who had left becomes active again"
        },
    )


class EnrolmentSchema(Schema):
    young_person_id = fields.UUID(required=True)
    activation_code = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Give it to the young person; it is shown only once. Null when "
            "the referral joined a record whose account is activated already, and in a "
            "replay (Idempotency-Key): a stored answer keeps no code",
            "example": "7KQM-2XPA-H9TD",
        },
    )
    activation_code_expires_at = AwareDateTime(required=True, allow_none=True)
    referral = fields.Nested(ReferralSchema, required=True)
