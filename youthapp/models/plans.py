"""Support plans (goals with ordered steps), safety plans, and the history of their changes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from youthapp.clock import utcnow
from youthapp.db import Base, IdMixin, TimestampMixin

GOAL_STATUSES = ("not_started", "in_progress", "achieved", "paused")
SAFETY_PLAN_SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "safe_places_and_people",
    "people_to_ask_for_help",
    "professionals_to_contact",
    "making_things_safer",
    "reasons_to_stay_safe",
)


class SupportPlan(Base):
    """One per young person; its version moves with every change to any goal or step, so a
    whole plan can answer "not modified" before a single goal is loaded."""

    __tablename__ = "support_plans"

    young_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("young_people.id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]


class Goal(IdMixin, TimestampMixin, Base):
    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'achieved', 'paused')", name="status"
        ),
        Index("ix_goals_young_person", "young_person_id", "archived_at", "position"),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    domain: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    target_date: Mapped[date | None]
    staff_notes: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    achieved_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    steps: Mapped[list[Step]] = relationship(
        back_populates="goal",
        lazy="raise",
        order_by="Step.position",
        primaryjoin="and_(Step.goal_id == Goal.id, Step.archived_at.is_(None))",
        viewonly=True,
    )

    # The ORM adds "AND version = <read version>" to every UPDATE: a stale write fails.
    __mapper_args__ = {"version_id_col": version}


class Step(IdMixin, TimestampMixin, Base):
    __tablename__ = "steps"
    __table_args__ = (Index("ix_steps_goal", "goal_id", "archived_at", "position"),)

    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id"))
    # Denormalised from the goal so scope checks need no join.
    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    due_date: Mapped[date | None]
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    goal: Mapped[Goal] = relationship(lazy="raise", foreign_keys=[goal_id])

    __mapper_args__ = {"version_id_col": version}


class SafetyPlan(Base):
    """The young person's own plan for a bad moment: seven sections of short entries."""

    __tablename__ = "safety_plans"

    young_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("young_people.id"), primary_key=True
    )
    sections: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}


class PlanChange(IdMixin, Base):
    """One change to a support or safety plan: who, when, and each field before and after."""

    __tablename__ = "plan_changes"
    __table_args__ = (Index("ix_plan_changes_young_person", "young_person_id", "occurred_at"),)

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
