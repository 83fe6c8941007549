"""Shapes of support plans, goals, steps, safety plans and plan history.

Titles and descriptions are what a 15-year-old reads on a small screen: short limits.
"""

from marshmallow import Schema, fields, validate

from api.dumps import CompiledDump
from api.fields import AwareDateTime, StrictSchema, Text
from youthapp.models import GOAL_STATUSES, SAFETY_PLAN_SECTIONS, SafetyPlan
from youthapp.vocabulary import DOMAINS

TITLE_MAX, DESCRIPTION_MAX, STAFF_NOTES_MAX = 120, 1000, 4000
SECTION_ENTRY_MAX, SECTION_ENTRIES_MAX = 200, 20


class StepSchema(Schema):
    id = fields.UUID(required=True)
    goal_id = fields.UUID(required=True)
    title = fields.String(required=True)
    done = fields.Boolean(required=True)
    due_date = fields.Date(allow_none=True, required=True)
    done_at = AwareDateTime(allow_none=True, required=True)
    position = fields.Integer(required=True)
    updated_at = AwareDateTime(required=True)


class MyGoalSchema(Schema):
    """A goal as the young person sees it: no staff fields."""

    id = fields.UUID(required=True)
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    title = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(GOAL_STATUSES))
    target_date = fields.Date(allow_none=True, required=True)
    achieved_at = AwareDateTime(allow_none=True)
    position = fields.Integer(required=True)
    updated_at = AwareDateTime(required=True)
    steps = fields.List(fields.Nested(StepSchema), required=True)


class GoalSchema(MyGoalSchema):
    """A goal as staff see it. A young person reading /goals/{goal_id} gets it without
    `staff_notes`, `young_person_id` and `created_by_id`."""

    # Not required: absent from the young person's own view of /goals/{goal_id}.
    young_person_id = fields.UUID()
    staff_notes = fields.String(allow_none=True)
    created_by_id = fields.UUID()
    created_at = AwareDateTime()


class MyPlanSchema(CompiledDump):
    young_person_id = fields.UUID(required=True)
    goals = fields.List(fields.Nested(MyGoalSchema), required=True)


class PlanSchema(CompiledDump):
    young_person_id = fields.UUID(required=True)
    goals = fields.List(fields.Nested(GoalSchema), required=True)


class GoalCreateSchema(StrictSchema):
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    title = Text(TITLE_MAX, min_length=1, required=True)
    description = Text(DESCRIPTION_MAX, required=True)
    status = fields.String(validate=validate.OneOf(GOAL_STATUSES))
    target_date = fields.Date(allow_none=True)
    staff_notes = Text(STAFF_NOTES_MAX, allow_none=True)


class GoalUpdateSchema(StrictSchema):
    domain = fields.String(validate=validate.OneOf(DOMAINS))
    title = Text(TITLE_MAX, min_length=1)
    description = Text(DESCRIPTION_MAX)
    status = fields.String(validate=validate.OneOf(GOAL_STATUSES))
    target_date = fields.Date(allow_none=True)
    staff_notes = Text(STAFF_NOTES_MAX, allow_none=True)
    position = fields.Integer(
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "Move the goal to this place (0 is first)"},
    )


class StepCreateSchema(StrictSchema):
    title = Text(TITLE_MAX, min_length=1, required=True)
    due_date = fields.Date(allow_none=True)
    done = fields.Boolean()


class StepUpdateSchema(StrictSchema):
    """Staff may change any of these; a young person may only send `done`."""

    title = Text(TITLE_MAX, min_length=1)
    due_date = fields.Date(allow_none=True)
    done = fields.Boolean()
    position = fields.Integer(validate=validate.Range(min=0, max=1000))


class PlanChangeSchema(Schema):
    id = fields.UUID(required=True)
    occurred_at = AwareDateTime(required=True)
    actor_id = fields.UUID(allow_none=True, required=True)
    actor_role = fields.String(allow_none=True, required=True)
    object_type = fields.String(
        required=True, validate=validate.OneOf(("goal", "step", "safety_plan"))
    )
    object_id = fields.UUID(allow_none=True, required=True)
    action = fields.String(required=True, metadata={"example": "updated"})
    changes = fields.Dict(required=True, metadata={"description": "{field: [before, after]}"})


def _section(**kwargs) -> fields.List:
    return fields.List(
        Text(SECTION_ENTRY_MAX, min_length=1),
        validate=validate.Length(max=SECTION_ENTRIES_MAX),
        **kwargs,
    )


class SafetyPlanSchema(Schema):
    """The Stanley-Brown style sections, each a list of short entries."""

    young_person_id = fields.UUID(required=True)
    updated_at = AwareDateTime(allow_none=True, required=True)
    warning_signs = _section(required=True)
    coping_strategies = _section(required=True)
    safe_places_and_people = _section(required=True)
    people_to_ask_for_help = _section(required=True)
    professionals_to_contact = _section(required=True)
    making_things_safer = _section(required=True)
    reasons_to_stay_safe = _section(required=True)


class SafetyPlanUpdateSchema(StrictSchema):
    """The sections to replace; a section left out keeps its entries."""

    warning_signs = _section()
    coping_strategies = _section()
    safe_places_and_people = _section()
    people_to_ask_for_help = _section()
    professionals_to_contact = _section()
    making_things_safer = _section()
    reasons_to_stay_safe = _section()


def safety_plan_document(young_person_id, plan: SafetyPlan | None) -> dict:
    sections = plan.sections if plan else {}
    return {
        "young_person_id": young_person_id,
        "updated_at": plan.updated_at if plan else None,
        **{name: sections.get(name, []) for name in SAFETY_PLAN_SECTIONS},
    }
