"""Borough and area teams: who works where, and which team a young person belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, TimestampMixin

# The team the migration made, "London": it covers every borough no other team holds, so a
# programme that never makes teams works as one team. A fixed id, so that finding the team
# of a borough needs no query for it.
DEFAULT_TEAM_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
DEFAULT_TEAM_NAME = "London"
# Who belongs to teams: those whose scope or duty is a team's.
TEAM_ROLES = ("coordinator", "mentor")


class Team(TimestampMixin, Base):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_TEAM_ID


class TeamBorough(Base):
    """A borough a team other than the default one holds: each borough at most once."""

    __tablename__ = "team_boroughs"

    borough: Mapped[str] = mapped_column(String(40), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)


class TeamMember(Base):
    """A coordinator or mentor in a team."""

    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_team", "team_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    joined_at: Mapped[datetime]
