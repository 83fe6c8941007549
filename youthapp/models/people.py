"""Young people enrolled in the programme, and their mentors' assignments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from youthapp.db import Base, IdMixin, TimestampMixin, one_of
from youthapp.models.users import MENTOR_SPECIALTIES, User

YOUNG_PERSON_STATUSES = ("active", "paused", "exited")
# Why an assignment ended: by a coordinator (with or without a handover), or because the
# young person left the programme.
ASSIGNMENT_END_REASONS = ("ended", "handover", "exited")


class YoungPerson(IdMixin, TimestampMixin, Base):
    __tablename__ = "young_people"
    __table_args__ = (
        one_of("status", YOUNG_PERSON_STATUSES, name="status"),
        Index("ix_young_people_match", "match_key", "date_of_birth"),
        # A team's list in its own order (access.young_people_listed_for): walked, not sorted.
        Index(
            "ix_young_people_team_by_name",
            "team_id",
            "last_name",
            "first_name",
            "id",
            postgresql_where=text("erased_at IS NULL"),
            sqlite_where=text("erased_at IS NULL"),
        ),
    )

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Lower-cased "first last" for search by name without a function index.
    search_name: Mapped[str] = mapped_column(String(201), index=True)
    # The name folded for finding the same person referred again (vocabulary.name_match_key).
    match_key: Mapped[str] = mapped_column(String(202))
    date_of_birth: Mapped[date]
    borough: Mapped[str] = mapped_column(String(40))
    # The team of the borough (services.teams.team_for_borough): whose coordinators see it.
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="active")
    status_changed_at: Mapped[datetime | None]
    # The activation code is kept only as a keyed hash; reissuing replaces it.
    activation_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    activation_code_expires_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    # Consent per purpose, set at enrolment and changeable by the young person and their
    # coordinator. Counting in outcome reports is off until given; sharing with each mentor
    # specialty is on from enrolment (the referral's consent) and, once withdrawn, cuts that
    # specialty's mentors off.
    consent_reporting: Mapped[bool] = mapped_column(default=False)
    share_mental_health: Mapped[bool] = mapped_column(default=True)
    share_substance_misuse: Mapped[bool] = mapped_column(default=True)
    share_housing: Mapped[bool] = mapped_column(default=True)
    share_employment: Mapped[bool] = mapped_column(default=True)
    consents_changed_at: Mapped[datetime | None]
    # Who consented at referral (a parent or carer, under 16, unless the young person was
    # assessed as competent), and who gave the reporting consent now in force: a parent's
    # lapses at 16 until the young person gives their own.
    consent_given_by: Mapped[str | None] = mapped_column(String(20))
    consent_competence_assessed: Mapped[bool | None]
    reporting_consent_by: Mapped[str | None] = mapped_column(String(20))
    # Consent is reviewed on the 16th and 18th birthdays: when one came due, and the last
    # birthday reviewed (0, 16 or 18), so that each fires once.
    consent_review_due_since: Mapped[datetime | None]
    consent_reviewed_age: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Set when the record was erased (on request or after the retention period): what is
    # left is anonymous.
    erased_at: Mapped[datetime | None]
    # Why it was erased, kept with what is left of the record (not in the audit trail, which
    # holds no free text).
    erasure_reason: Mapped[str | None] = mapped_column(Text)
    exited_at: Mapped[datetime | None]

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="young_person", lazy="raise", order_by="Assignment.started_at"
    )

    @property
    def has_account(self) -> bool:
        return self.activated_at is not None

    @property
    def consents(self) -> dict[str, Any]:
        return {
            "review_due": self.consent_review_due_since is not None,
            "reporting": self.consent_reporting,
            "sharing": {
                specialty: getattr(self, f"share_{specialty}") for specialty in MENTOR_SPECIALTIES
            },
        }


class Assignment(IdMixin, Base):
    """A mentor's link to a young person; ending it keeps the row as history."""

    __tablename__ = "assignments"
    __table_args__ = (
        # One live assignment per mentor and young person; ended ones are history.
        Index(
            "uq_assignments_live",
            "young_person_id",
            "mentor_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        Index("ix_assignments_mentor_live", "mentor_id", "ended_at"),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"), index=True)
    mentor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    specialty: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    assigned_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    ended_reason: Mapped[str | None] = mapped_column(String(20))

    young_person: Mapped[YoungPerson] = relationship(back_populates="assignments", lazy="raise")
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="raise")

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class StatusChange(IdMixin, Base):
    """One change of a young person's status, kept for the case history."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_young_person", "young_person_id", "changed_at"),)

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(500))
    # A transfer (reason "transfer") keeps the status and moves the case between teams.
    from_team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    to_team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime]


class Handover(IdMixin, Base):
    """A mentor's assignment ended by a coordinator: to whom the work went (if anyone),
    what happened to the appointments, and a staff-only note."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_young_person", "young_person_id", "created_at"),)

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assignments.id"))
    from_mentor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    to_mentor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Staff-only: what the next mentor should know.
    note: Mapped[str | None] = mapped_column(Text)
    appointments_moved: Mapped[int] = mapped_column(default=0)
    appointments_cancelled: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
