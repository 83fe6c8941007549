"""Support plans and safety plans: staff build them, young people read and tick them.

Every change is checked against the version the editor last saw (no lost updates), kept in
the plan history with its author and each field before and after, and the young person is
told, discreetly.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from youthapp import access, audit, db
from youthapp.errors import Forbidden, NotFound
from youthapp.models import (
    SAFETY_PLAN_SECTIONS,
    Goal,
    PlanChange,
    SafetyPlan,
    Step,
    SupportPlan,
    User,
)
from youthapp.services import notifications, people
from youthapp.services.versions import add_first_version, check_version

STAFF_EDITORS = (access.COORDINATOR, access.MENTOR)
GOAL_FIELDS = ("domain", "title", "description", "status", "target_date", "staff_notes")
STEP_FIELDS = ("title", "due_date", "done")


# --- versions and preconditions ------------------------------------------------------------


def young_person_of_goal(session: Session, goal_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(Goal.young_person_id).where(Goal.id == goal_id))


# The most read statements, built once (a statement costs more to build than to run again).
_PLAN_VERSION = select(SupportPlan.version).where(
    SupportPlan.young_person_id == bindparam("young_person_id")
)
_LIVE_GOALS = (
    select(Goal.__table__)
    .where(Goal.young_person_id == bindparam("young_person_id"), Goal.archived_at.is_(None))
    .order_by(Goal.position, Goal.created_at, Goal.id)
)
_LIVE_STEPS = (
    select(Step.__table__)
    .where(Step.young_person_id == bindparam("young_person_id"), Step.archived_at.is_(None))
    .order_by(Step.position, Step.created_at, Step.id)
)


def plan_version(session: Session, young_person_id: uuid.UUID) -> int:
    return session.scalar(_PLAN_VERSION, {"young_person_id": young_person_id}) or 0


def _plan_changed(
    session: Session, actor: User, young_person_id: uuid.UUID, now: datetime, data: dict[str, Any]
) -> None:
    """Move the plan's version on, count staff edits as a review, and tell the young person."""
    by_staff = actor.role in STAFF_EDITORS
    values: dict[str, Any] = {"version": SupportPlan.version + 1, "updated_at": now}
    if by_staff:
        values["reviewed_at"] = now
    moved = db.rowcount(
        session,
        update(SupportPlan).where(SupportPlan.young_person_id == young_person_id).values(**values),
    )
    if moved == 0:
        session.add(
            SupportPlan(
                young_person_id=young_person_id,
                version=1,
                updated_at=now,
                reviewed_at=now if by_staff else None,
            )
        )
    if by_staff:
        notifications.notify_young_person_of_plan_change(
            session, young_person_id, data=data, now=now
        )


def _history(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    object_type: str,
    object_id: uuid.UUID | None,
    action: str,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        PlanChange(
            young_person_id=young_person_id,
            occurred_at=now,
            actor_id=actor.id,
            actor_role=actor.role,
            object_type=object_type,
            object_id=object_id,
            action=action,
            changes=changes,
        )
    )
    audit.record(
        session,
        actor,
        f"{object_type}.{action}",
        young_person_id=young_person_id,
        subject=(object_type, object_id) if object_id else None,
        now=now,
    )


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _apply(record: Any, changes: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Set the changed fields; returns {field: [before, after]} for the history."""
    diff = {}
    for name in fields:
        if name in changes and getattr(record, name) != changes[name]:
            diff[name] = [_json(getattr(record, name)), _json(changes[name])]
            setattr(record, name, changes[name])
    return diff


# --- reading ----------------------------------------------------------------------------------


def audit_staff_plan_read(session: Session, actor: User, young_person_id: uuid.UUID) -> uuid.UUID:
    """Check that staff `actor` may see the young person's plan; audit the read."""
    young_person = people.read_record(session, actor, young_person_id, "plan")
    return young_person.id


def load_goals(session: Session, young_person_id: uuid.UUID) -> list[dict[str, Any]]:
    """The plan to read, as plain rows: each live goal's columns with its live `steps`, in
    order. Rows, not ORM objects: this is the app's most read answer, and building and
    tracking sixty objects a request cost more than the queries themselves."""
    person = {"young_person_id": young_person_id}
    goals = [{**goal, "steps": []} for goal in session.execute(_LIVE_GOALS, person).mappings()]
    steps_of = {goal["id"]: goal["steps"] for goal in goals}
    for step in session.execute(_LIVE_STEPS, person).mappings():
        steps_of.get(step["goal_id"], []).append(step)
    return goals


def find_goal(session: Session, actor: User, goal_id: uuid.UUID) -> Goal:
    goal = session.scalar(
        select(Goal)
        .where(
            Goal.id == goal_id,
            Goal.archived_at.is_(None),
            access.own_or_staff_scope(actor, Goal.young_person_id),
        )
        .options(selectinload(Goal.steps))
    )
    if goal is None:
        raise NotFound("No such goal.")
    return goal


def find_step(session: Session, actor: User, step_id: uuid.UUID) -> Step:
    step = session.scalar(
        select(Step)
        .join(Goal, Goal.id == Step.goal_id)
        .where(
            Step.id == step_id,
            Step.archived_at.is_(None),
            Goal.archived_at.is_(None),
            access.own_or_staff_scope(actor, Step.young_person_id),
        )
    )
    if step is None:
        raise NotFound("No such step.")
    return step


def view_goal(session: Session, actor: User, goal_id: uuid.UUID) -> Goal:
    goal = find_goal(session, actor, goal_id)
    audit.staff_read(session, actor, "goal", goal)
    return goal


def view_step(session: Session, actor: User, step_id: uuid.UUID) -> Step:
    step = find_step(session, actor, step_id)
    audit.staff_read(session, actor, "step", step)
    return step


def history_query(session: Session, actor: User, young_person_id: uuid.UUID) -> Select[PlanChange]:
    young_person = people.read_record(session, actor, young_person_id, "plan_history")
    return (
        select(PlanChange)
        .where(PlanChange.young_person_id == young_person.id)
        .order_by(PlanChange.occurred_at.desc(), PlanChange.id)
    )


# --- goals ------------------------------------------------------------------------------------


def create_goal(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    now: datetime,
) -> Goal:
    young_person = people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, *STAFF_EDITORS)
    last = session.scalar(
        select(func.max(Goal.position)).where(
            Goal.young_person_id == young_person.id, Goal.archived_at.is_(None)
        )
    )
    goal = Goal(
        young_person_id=young_person.id,
        created_by_id=actor.id,
        position=(last + 1) if last is not None else 0,
        created_at=now,
        updated_at=now,
        description="",
        status="not_started",
    )
    _apply(goal, data, GOAL_FIELDS)
    if goal.status == "achieved":
        goal.achieved_at = now
    session.add(goal)
    session.flush()
    _history(
        session,
        actor,
        young_person.id,
        "goal",
        goal.id,
        "created",
        {name: [None, _json(getattr(goal, name))] for name in GOAL_FIELDS},
        now,
    )
    _plan_changed(session, actor, young_person.id, now, {"goal_id": str(goal.id)})
    set_committed_value(goal, "steps", [])  # new: no steps yet, no need to ask
    return goal


def update_goal(
    session: Session,
    actor: User,
    goal_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    if_match: Collection[str],
    now: datetime,
) -> Goal:
    goal = find_goal(session, actor, goal_id)
    access.require_role(actor, *STAFF_EDITORS)
    check_version(if_match, goal.version)
    diff = _apply(goal, changes, GOAL_FIELDS)
    if "status" in diff:
        goal.achieved_at = now if goal.status == "achieved" else None
    if "position" in changes and changes["position"] != goal.position:
        diff["position"] = [
            goal.position,
            _move(
                session,
                Goal,
                goal,
                changes["position"],
                Goal.young_person_id == goal.young_person_id,
            ),
        ]
    if diff:
        goal.updated_at = now
        session.flush()
        _history(session, actor, goal.young_person_id, "goal", goal.id, "updated", diff, now)
        _plan_changed(session, actor, goal.young_person_id, now, {"goal_id": str(goal.id)})
    return goal


def archive_goal(
    session: Session, actor: User, goal_id: uuid.UUID, *, if_match: Collection[str], now: datetime
) -> None:
    goal = find_goal(session, actor, goal_id)
    access.require_role(actor, *STAFF_EDITORS)
    if if_match:
        check_version(if_match, goal.version)
    goal.archived_at = goal.updated_at = now
    session.flush()
    _history(
        session,
        actor,
        goal.young_person_id,
        "goal",
        goal.id,
        "archived",
        {"archived_at": [None, now.isoformat()]},
        now,
    )
    _plan_changed(session, actor, goal.young_person_id, now, {"goal_id": str(goal.id)})


# --- steps ------------------------------------------------------------------------------------


def create_step(
    session: Session, actor: User, goal_id: uuid.UUID, data: Mapping[str, Any], *, now: datetime
) -> Step:
    goal = find_goal(session, actor, goal_id)
    access.require_role(actor, *STAFF_EDITORS)
    positions = [step.position for step in goal.steps]
    step = Step(
        goal_id=goal.id,
        young_person_id=goal.young_person_id,
        position=max(positions) + 1 if positions else 0,
        created_at=now,
        updated_at=now,
    )
    _apply(step, data, STEP_FIELDS)
    if step.done:
        step.done_at, step.done_by_id = now, actor.id
    session.add(step)
    goal.updated_at = now  # a goal's version covers its steps: it is shown with them
    session.flush()
    _history(
        session,
        actor,
        goal.young_person_id,
        "step",
        step.id,
        "created",
        {name: [None, _json(getattr(step, name))] for name in STEP_FIELDS},
        now,
    )
    _plan_changed(
        session,
        actor,
        goal.young_person_id,
        now,
        {"goal_id": str(goal.id), "step_id": str(step.id)},
    )
    return step


def update_step(
    session: Session,
    actor: User,
    step_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    if_match: Collection[str],
    now: datetime,
) -> Step:
    step = find_step(session, actor, step_id)
    if actor.role == access.YOUNG_PERSON:
        if set(changes) - {"done"}:
            raise Forbidden(
                "You can tick a step off (or un-tick it); your mentor changes the rest."
            )
    else:
        access.require_role(actor, *STAFF_EDITORS)
    check_version(if_match, step.version)
    diff = _apply(step, changes, STEP_FIELDS)
    if "done" in diff:
        step.done_at, step.done_by_id = (now, actor.id) if step.done else (None, None)
    if "position" in changes and changes["position"] != step.position:
        diff["position"] = [
            step.position,
            _move(session, Step, step, changes["position"], Step.goal_id == step.goal_id),
        ]
    if diff:
        step.updated_at = now
        goal = session.get_one(Goal, step.goal_id)
        goal.updated_at = now
        session.flush()
        action = "ticked" if set(diff) == {"done"} else "updated"
        _history(session, actor, step.young_person_id, "step", step.id, action, diff, now)
        _plan_changed(
            session,
            actor,
            step.young_person_id,
            now,
            {"goal_id": str(step.goal_id), "step_id": str(step.id)},
        )
    return step


def archive_step(
    session: Session, actor: User, step_id: uuid.UUID, *, if_match: Collection[str], now: datetime
) -> None:
    step = find_step(session, actor, step_id)
    access.require_role(actor, *STAFF_EDITORS)
    if if_match:
        check_version(if_match, step.version)
    step.archived_at = step.updated_at = now
    session.get_one(Goal, step.goal_id).updated_at = now
    session.flush()
    _history(
        session,
        actor,
        step.young_person_id,
        "step",
        step.id,
        "archived",
        {"archived_at": [None, now.isoformat()]},
        now,
    )
    _plan_changed(session, actor, step.young_person_id, now, {"goal_id": str(step.goal_id)})


def _move(
    session: Session,
    model: type[Goal] | type[Step],
    item: Goal | Step,
    position: int,
    siblings_clause: Any,
) -> int:
    """Put `item` at `position` among its live siblings (0 is first); returns where it landed.

    Siblings are renumbered with one UPDATE each without touching their versions: being
    shifted along is not an edit that should make someone else's save stale.
    """
    siblings = list(
        session.scalars(
            select(model.id)
            .where(siblings_clause, model.archived_at.is_(None), model.id != item.id)
            .order_by(model.position, model.created_at, model.id)
        )
    )
    position = max(0, min(position, len(siblings)))
    siblings.insert(position, item.id)
    table = db.table_of(model)
    for index, sibling_id in enumerate(siblings):
        if sibling_id != item.id:
            session.execute(update(table).where(table.c.id == sibling_id).values(position=index))
    item.position = position
    return position


# --- safety plan ------------------------------------------------------------------------------

EMPTY_SECTIONS: dict[str, list[str]] = {name: [] for name in SAFETY_PLAN_SECTIONS}


def safety_plan_for(
    session: Session, actor: User, young_person_id: uuid.UUID | None
) -> tuple[uuid.UUID, SafetyPlan | None]:
    """(whose, their safety plan or None before the first save): the caller's own when
    `young_person_id` is None, else one in their staff scope (the read is audited)."""
    person_id = people.own_or_in_scope(session, actor, young_person_id)
    if young_person_id is not None:
        audit.record(
            session,
            actor,
            "safety_plan.viewed",
            young_person_id=person_id,
            subject=("young_person", person_id),
        )
    return person_id, session.get(SafetyPlan, person_id)


def save_safety_plan(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID | None,
    sections: Mapping[str, list[str]],
    *,
    if_match: Collection[str],
    now: datetime,
) -> SafetyPlan:
    young_person_id, plan = safety_plan_for(session, actor, young_person_id)
    check_version(if_match, plan.version if plan else 0)
    before = plan.sections if plan else EMPTY_SECTIONS
    new_sections = {
        name: list(sections.get(name, before.get(name, []))) for name in SAFETY_PLAN_SECTIONS
    }
    diff = {
        name: [before.get(name, []), new_sections[name]]
        for name in SAFETY_PLAN_SECTIONS
        if before.get(name, []) != new_sections[name]
    }
    access.require_role(actor, access.YOUNG_PERSON, *STAFF_EDITORS)
    if plan is None:
        plan = SafetyPlan(
            young_person_id=young_person_id,
            sections=new_sections,
            updated_at=now,
            updated_by_id=actor.id,
        )
        add_first_version(session, plan)
    elif not diff:
        return plan  # nothing changed: no new version, no history, no message
    else:
        plan.sections, plan.updated_at, plan.updated_by_id = new_sections, now, actor.id
    session.flush()
    _history(session, actor, young_person_id, "safety_plan", None, "updated", diff, now)
    if actor.role in STAFF_EDITORS:
        notifications.notify_young_person_of_plan_change(
            session, young_person_id, data={"safety_plan": True}, now=now
        )
    return plan
