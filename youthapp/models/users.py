"""User accounts: young people and staff, with their role and app preferences."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from youthapp import windows
from youthapp.clock import DEFAULT_ZONE
from youthapp.db import Base, IdMixin, TimestampMixin, one_of

if TYPE_CHECKING:
    from youthapp.models.teams import TeamMember

ROLES = ("young_person", "mentor", "coordinator", "lead", "referrer", "admin")
STAFF_ROLES = ("mentor", "coordinator", "lead", "referrer", "admin")
MENTOR_SPECIALTIES = ("mental_health", "substance_misuse", "housing", "employment")
REFERRER_TYPES = ("teacher", "police_officer", "care_worker", "probation_officer")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time


@dataclass(frozen=True)
class Preferences:
    discreet_mode: bool
    location_sharing: bool
    quiet_hours: QuietHours | None
    language: str
    timezone: str


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES, name="role"),
        one_of("specialty", MENTOR_SPECIALTIES, name="specialty", nullable=True),
        one_of("referrer_type", REFERRER_TYPES, name="referrer_type", nullable=True),
        # The few users of a rare role (every lead, told of each escalation; every admin)
        # found without reading every young person's account.
        Index("ix_users_role", "role"),
    )

    # Stored lower-cased so that one person cannot hold two accounts by changing case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    specialty: Mapped[str | None] = mapped_column(String(30))
    referrer_type: Mapped[str | None] = mapped_column(String(30))
    organisation: Mapped[str | None] = mapped_column(String(200))
    last_login_at: Mapped[datetime | None]
    # A coordinator on duty takes their teams' urgent alerts (PUT /me/duty).
    on_duty: Mapped[bool] = mapped_column(default=False, server_default=false())
    on_duty_since: Mapped[datetime | None]
    # Under ADMIN_CASE_ACCESS=two_person: set while an account that can read case content
    # (made, or its password reset, by an admin) waits for a second admin's approval.
    awaiting_approval_since: Mapped[datetime | None]
    approval_requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Set for role young_person: the enrolled record this account belongs to.
    young_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("young_people.id"), unique=True
    )

    # Preferences, with the privacy-protective defaults the Children's Code asks for.
    discreet_mode: Mapped[bool] = mapped_column(default=True)
    location_sharing: Mapped[bool] = mapped_column(default=False)
    # When non-urgent pushes may reach the user: [{days, from, to}] in their own zone (a
    # window whose `to` is before its `from` runs past midnight); None: any time. Quiet hours
    # are one window a day, from their end to their start (services.contact).
    contact_windows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # A young person's safe contact: how staff may reach them, and boroughs they must not be
    # asked to go to.
    contact_channels: Mapped[list[str] | None] = mapped_column(JSON)
    no_go_boroughs: Mapped[list[str] | None] = mapped_column(JSON)
    # A young person's two PINs, as Argon2 hashes: the app PIN, and the duress PIN that
    # answers the same but silently calls for help. Wrong PINs in a row end the sign-in.
    app_pin_hash: Mapped[str | None] = mapped_column(String(255))
    duress_pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    pins_changed_at: Mapped[datetime | None]
    # Set by a lockdown (the phone is in the wrong hands): no sign-in until a coordinator's
    # new activation code sets a new password.
    locked_down_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(35), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_ZONE)

    # A coordinator's or mentor's teams (services.teams.join); loaded only where asked for.
    memberships: Mapped[list[TeamMember]] = relationship(
        lazy="raise", order_by="TeamMember.team_id", viewonly=True
    )

    # Not a column: for a young person's account, the status of their case (active, paused,
    # exited), read with the user when a request is authenticated (services.auth). Set on
    # each instance, so typed as an instance attribute; declarative maps every annotation
    # but a ClassVar, so at run time it is declared as one, with the class-wide default.
    if TYPE_CHECKING:
        case_status: str | None
    else:
        case_status: ClassVar[str | None] = None

    @property
    def team_ids(self) -> list[uuid.UUID]:
        return [membership.team_id for membership in self.memberships]

    @property
    def preferences(self) -> Preferences:
        hours = windows.as_quiet_hours(self.contact_windows)
        quiet = QuietHours(*hours) if hours else None
        return Preferences(
            self.discreet_mode, self.location_sharing, quiet, self.language, self.timezone
        )
