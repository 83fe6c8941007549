"""Referrals: a professional's request that a young person be helped."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, IdMixin, TimestampMixin, one_of

REFERRAL_STATUSES = ("submitted", "accepted", "declined", "withdrawn")


class Referral(IdMixin, TimestampMixin, Base):
    __tablename__ = "referrals"
    __table_args__ = (
        one_of("status", REFERRAL_STATUSES, name="status"),
        CheckConstraint("consent_obtained", name="consent_obtained"),
        Index("ix_referrals_match", "match_key", "date_of_birth"),
    )

    referrer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    # Copied from the referrer's account at the time, so later account edits don't rewrite it.
    referrer_type: Mapped[str] = mapped_column(String(30))
    organisation: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # The name folded for finding the same person referred again (vocabulary.name_match_key).
    match_key: Mapped[str] = mapped_column(String(202))
    date_of_birth: Mapped[date]
    borough: Mapped[str] = mapped_column(String(40))
    # The team of the borough (services.teams.team_for_borough): whose coordinators see it.
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    needs: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    risk_notes: Mapped[str | None] = mapped_column(Text)
    consent_obtained: Mapped[bool]
    # young_person or parent_or_carer; under 16 a parent or carer, unless competence was
    # assessed (Gillick).
    consent_given_by: Mapped[str | None] = mapped_column(String(20))
    consent_competence_assessed: Mapped[bool | None]
    status: Mapped[str] = mapped_column(String(10), default="submitted", index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    # Set when accepted: the young person enrolled from this referral, or the existing record
    # it was linked to (one young person referred again has several referrals).
    young_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("young_people.id"), index=True
    )

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}. {self.last_name[:1]}.".upper()
