"""Support plans and safety plans: staff in scope build them; the young person reads and ticks."""

from flask.views import MethodView

from api.database import commit, db_session
from api.etags import (
    ETAG_HEADER,
    etag,
    if_match_tags,
    not_modified,
    optional_if_match_tags,
    versioned,
    with_etag,
)
from api.extensions import Blueprint, current_user
from api.pagination import fetch_page
from api.plans.schemas import (
    GoalCreateSchema,
    GoalSchema,
    GoalUpdateSchema,
    MyGoalSchema,
    MyPlanSchema,
    PlanChangeSchema,
    PlanSchema,
    SafetyPlanSchema,
    SafetyPlanUpdateSchema,
    StepCreateSchema,
    StepSchema,
    StepUpdateSchema,
    safety_plan_document,
)
from api.views import Redacted
from youthapp.access import YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.models import Goal, User
from youthapp.services import plans

blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/api/v1",
    description="Support plans (goals and steps) and safety plans",
)

_MY_GOAL = MyGoalSchema()


def _goal_for(actor: User, goal: Goal) -> Goal | Redacted:
    return Redacted(goal, _MY_GOAL) if actor.role == YOUNG_PERSON else goal


def _plan_response(session, young_person_id):
    version = plans.plan_version(session, young_person_id)
    cached = not_modified(etag(version))
    if cached is not None:
        return cached
    goals = plans.load_goals(session, young_person_id)
    return with_etag({"young_person_id": young_person_id, "goals": goals}, version)


@blp.route("/me/plan")
class MyPlan(MethodView):
    @blp.read_only
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, MyPlanSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self):
        """Your support plan: goals and steps, in order."""
        return _plan_response(db_session(), current_user().young_person_id)


@blp.route("/young-people/<uuid:young_person_id>/plan")
class PlanOfYoungPerson(MethodView):
    @blp.case_route
    @blp.response(200, PlanSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self, young_person_id):
        """A young person's whole support plan, with staff notes."""
        person_id = plans.audit_staff_plan_read(db_session(), current_user(), young_person_id)
        return _plan_response(db_session(), person_id)


@blp.route("/young-people/<uuid:young_person_id>/plan/goals")
class Goals(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(GoalCreateSchema)
    @blp.response(201, GoalSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, data, young_person_id):
        """Add a goal to the plan (coordinators and assigned mentors)."""
        goal = plans.create_goal(db_session(), current_user(), young_person_id, data, now=utcnow())
        commit()
        return with_etag(goal, goal.version)


@blp.route("/young-people/<uuid:young_person_id>/plan/history")
class PlanHistory(MethodView):
    @blp.case_route
    @blp.response(200, PlanChangeSchema(many=True))
    @blp.paginate()
    def get(self, young_person_id, pagination_parameters):
        """Every change to the support and safety plans: who, when, before and after."""
        query = plans.history_query(db_session(), current_user(), young_person_id)
        page = fetch_page(query, pagination_parameters)
        return page


@blp.route("/goals/<uuid:goal_id>")
class GoalById(MethodView):
    @blp.case_route
    @blp.response(200, GoalSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self, goal_id):
        """A goal with its steps (the young person's own, without staff fields)."""
        goal = plans.view_goal(db_session(), current_user(), goal_id)
        return versioned(_goal_for(current_user(), goal), goal.version)

    @blp.case_route
    @blp.if_match_required
    @blp.arguments(GoalUpdateSchema)
    @blp.response(200, GoalSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def patch(self, changes, goal_id):
        """Change a goal: its words, status, target date, staff notes or place in the plan."""
        goal = plans.update_goal(
            db_session(), current_user(), goal_id, changes, if_match=if_match_tags(), now=utcnow()
        )
        commit()
        return with_etag(goal, goal.version)

    @blp.case_route
    @blp.response(204)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def delete(self, goal_id):
        """Archive a goal (kept in the plan history); If-Match is checked when sent."""
        plans.archive_goal(
            db_session(), current_user(), goal_id, if_match=optional_if_match_tags(), now=utcnow()
        )
        commit()


@blp.route("/goals/<uuid:goal_id>/steps")
class Steps(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(StepCreateSchema)
    @blp.response(201, StepSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, data, goal_id):
        """Add a step to the end of a goal."""
        step = plans.create_step(db_session(), current_user(), goal_id, data, now=utcnow())
        commit()
        return with_etag(step, step.version)


@blp.route("/steps/<uuid:step_id>")
class StepById(MethodView):
    @blp.case_route
    @blp.response(200, StepSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self, step_id):
        """A step."""
        step = plans.view_step(db_session(), current_user(), step_id)
        return versioned(step, step.version)

    @blp.case_route
    @blp.if_match_required
    @blp.arguments(StepUpdateSchema)
    @blp.response(200, StepSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def patch(self, changes, step_id):
        """Change a step; the young person may only tick it off (`done`)."""
        step = plans.update_step(
            db_session(), current_user(), step_id, changes, if_match=if_match_tags(), now=utcnow()
        )
        commit()
        return with_etag(step, step.version)

    @blp.case_route
    @blp.response(204)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def delete(self, step_id):
        """Archive a step (kept in the plan history); If-Match is checked when sent."""
        plans.archive_step(
            db_session(), current_user(), step_id, if_match=optional_if_match_tags(), now=utcnow()
        )
        commit()


def _get_safety_plan(young_person_id):
    person_id, plan = plans.safety_plan_for(db_session(), current_user(), young_person_id)
    commit()
    version = plan.version if plan else 0
    return versioned(safety_plan_document(person_id, plan), version)


def _put_safety_plan(sections, young_person_id):
    plan = plans.save_safety_plan(
        db_session(),
        current_user(),
        young_person_id,
        sections,
        if_match=if_match_tags(),
        now=utcnow(),
    )
    commit()
    return with_etag(safety_plan_document(plan.young_person_id, plan), plan.version)


@blp.route("/me/safety-plan")
class MySafetyPlan(MethodView):
    @blp.read_only
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, SafetyPlanSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self):
        """Your safety plan (empty sections before the first save)."""
        return _get_safety_plan(None)

    @blp.roles_required(YOUNG_PERSON)
    @blp.if_match_required
    @blp.arguments(SafetyPlanUpdateSchema)
    @blp.response(200, SafetyPlanSchema, headers=ETAG_HEADER)
    def put(self, sections):
        """Save your safety plan; sections left out keep their entries."""
        return _put_safety_plan(sections, None)


@blp.route("/young-people/<uuid:young_person_id>/safety-plan")
class SafetyPlanOfYoungPerson(MethodView):
    @blp.case_route
    @blp.response(200, SafetyPlanSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified")
    def get(self, young_person_id):
        """A young person's safety plan."""
        return _get_safety_plan(young_person_id)

    @blp.case_route
    @blp.if_match_required
    @blp.arguments(SafetyPlanUpdateSchema)
    @blp.response(200, SafetyPlanSchema, headers=ETAG_HEADER)
    @blp.alt_response(403, response="FORBIDDEN")
    def put(self, sections, young_person_id):
        """Save a young person's safety plan with them; every change goes in the plan history."""
        return _put_safety_plan(sections, young_person_id)
