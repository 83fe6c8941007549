"""Shapes of the outcome report: every figure typed, every count suppressible."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import AwareDateTime, StrictSchema
from youthapp.clock import utcnow
from youthapp.models import ALERT_KINDS, REFERRAL_STATUSES, REFERRER_TYPES
from youthapp.services.suppression import THRESHOLD
from youthapp.vocabulary import DOMAINS

FORMATS = ("json", "csv")


class OutcomeQueryArgsSchema(StrictSchema):
    since = AwareDateTime(
        data_key="from",
        metadata={"description": "Start of the period (included); default: 90 days before `to`"},
    )
    until = AwareDateTime(
        data_key="to", metadata={"description": "End of the period (excluded); default: now"}
    )
    team_id = fields.UUID(
        metadata={
            "description": "One team's figures: one of your teams, or for a lead any team "
            "(404 otherwise). Default: your teams together; for a lead the whole programme"
        }
    )
    format = fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={
            "description": "`csv` for the CSV download (as does `Accept: text/csv`); default JSON"
        },
    )

    @validates_schema
    def _period_runs_forwards(self, data, **kwargs):
        until = data.get("until") or utcnow()
        if data.get("since") and data["since"] > until:
            raise ValidationError("Must not be after `to` (or now, without `to`).", "from")


class OutcomeCountSchema(Schema):
    value = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": f"The count; null when suppressed (1 to {THRESHOLD - 1})"},
    )
    suppressed = fields.Boolean(required=True)


class OutcomeRateSchema(Schema):
    value = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "A fraction from 0 to 1; null when suppressed, or when there is "
            "nothing to measure (suppressed false)"
        },
    )
    suppressed = fields.Boolean(required=True)


class OutcomeMinutesSchema(Schema):
    value = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "Minutes, to one decimal place; null when suppressed (fewer than "
            f"{THRESHOLD} alerts behind it), or when there is nothing to measure"
        },
    )
    suppressed = fields.Boolean(required=True)


def _breakdown(name: str, keys: tuple[str, ...]) -> type[Schema]:
    """A schema with one count per key of a vocabulary, so generated clients name each."""
    return Schema.from_dict(
        {key: fields.Nested(OutcomeCountSchema, required=True) for key in keys}, name=name
    )


ReferralsBySourceSchema = _breakdown("ReferralsBySourceSchema", REFERRER_TYPES)
ReferralsByDecisionSchema = _breakdown("ReferralsByDecisionSchema", REFERRAL_STATUSES)
OutcomeCountsByDomainSchema = _breakdown("OutcomeCountsByDomainSchema", DOMAINS)
AlertsByKindSchema = _breakdown("AlertsByKindSchema", ALERT_KINDS)


class ReferralFiguresSchema(Schema):
    total = fields.Nested(
        OutcomeCountSchema,
        required=True,
        metadata={"description": "Referrals received (submitted) in the period"},
    )
    by_source = fields.Nested(
        ReferralsBySourceSchema, required=True, metadata={"description": "By referrer type"}
    )
    by_decision = fields.Nested(
        ReferralsByDecisionSchema,
        required=True,
        metadata={"description": "By where each stands now (`submitted`: not yet decided)"},
    )


class CaseloadFiguresSchema(Schema):
    total = fields.Nested(
        OutcomeCountSchema,
        required=True,
        metadata={"description": "Young people active when the report runs (not paused or exited)"},
    )
    by_domain = fields.Nested(
        OutcomeCountsByDomainSchema,
        required=True,
        metadata={
            "description": "By need: one young person with several needs counts in each, so "
            "these do not add up to the total"
        },
    )


class AttendanceFiguresSchema(Schema):
    attended = fields.Nested(OutcomeCountSchema, required=True)
    missed = fields.Nested(OutcomeCountSchema, required=True)
    recorded = fields.Nested(
        OutcomeCountSchema, required=True, metadata={"description": "attended + missed"}
    )
    rate = fields.Nested(
        OutcomeRateSchema, required=True, metadata={"description": "attended / (attended + missed)"}
    )


class CheckInFiguresSchema(Schema):
    expected = fields.Nested(
        OutcomeCountSchema,
        required=True,
        metadata={
            "description": "Check-ins due under active schedules in the period (from when "
            "each schedule took effect, up to now)"
        },
    )
    received = fields.Nested(
        OutcomeCountSchema,
        required=True,
        metadata={
            "description": "Check-ins made in the same windows, at most as many per young "
            "person as were expected of them"
        },
    )
    not_received = fields.Nested(
        OutcomeCountSchema, required=True, metadata={"description": "expected - received"}
    )
    rate = fields.Nested(
        OutcomeRateSchema, required=True, metadata={"description": "received / expected"}
    )


class GoalFiguresSchema(Schema):
    total = fields.Nested(
        OutcomeCountSchema,
        required=True,
        metadata={
            "description": "Goals marked achieved in the period (still achieved, not deleted)"
        },
    )
    by_domain = fields.Nested(OutcomeCountsByDomainSchema, required=True)


class AlertFiguresSchema(Schema):
    total = fields.Nested(
        OutcomeCountSchema, required=True, metadata={"description": "Alerts raised in the period"}
    )
    by_kind = fields.Nested(AlertsByKindSchema, required=True)
    acknowledged = fields.Nested(
        OutcomeCountSchema, required=True, metadata={"description": "Of those, acknowledged since"}
    )
    not_acknowledged = fields.Nested(OutcomeCountSchema, required=True)
    median_minutes_to_acknowledge = fields.Nested(
        OutcomeMinutesSchema,
        required=True,
        metadata={"description": "From raised to acknowledged, over the acknowledged ones"},
    )


class OutcomeSuppressionSchema(Schema):
    threshold = fields.Integer(
        required=True, metadata={"description": "Counts from 1 to threshold - 1 are not shown"}
    )
    rule = fields.String(required=True)


class OutcomeReportSchema(Schema):
    since = AwareDateTime(required=True, data_key="from")
    until = AwareDateTime(required=True, data_key="to")
    team_ids = fields.List(
        fields.UUID(),
        required=True,
        allow_none=True,
        metadata={"description": "The teams the figures are for; null for the whole programme"},
    )
    population = fields.String(required=True, metadata={"description": "Who is counted"})
    suppression = fields.Nested(OutcomeSuppressionSchema, required=True)
    referrals = fields.Nested(ReferralFiguresSchema, required=True)
    enrolments = fields.Nested(
        OutcomeCountSchema,
        required=True,
        metadata={"description": "Young people enrolled (referral accepted) in the period"},
    )
    active_caseload = fields.Nested(CaseloadFiguresSchema, required=True)
    appointment_attendance = fields.Nested(
        AttendanceFiguresSchema,
        required=True,
        metadata={"description": "Appointments starting in the period, marked attended or missed"},
    )
    check_ins = fields.Nested(CheckInFiguresSchema, required=True)
    goals_achieved = fields.Nested(GoalFiguresSchema, required=True)
    alerts = fields.Nested(AlertFiguresSchema, required=True)
