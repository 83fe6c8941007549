"""The thread between a young person and the staff in scope of their case."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, IdMixin, one_of

# Who wrote a message: the young person, a member of staff, or the programme itself (the
# automatic reply out of staffed hours).
SENDER_ROLES = ("young_person", "mentor", "coordinator", "programme")


class Message(IdMixin, Base):
    """One message, kept as sent: plain text, never rendered, scanned or scored."""

    __tablename__ = "messages"
    __table_args__ = (
        one_of("sender_role", SENDER_ROLES, name="sender_role"),
        # The phone retries: one message per client_ref in a thread.
        Index(
            "uq_messages_client_ref",
            "young_person_id",
            "client_ref",
            unique=True,
            postgresql_where=text("client_ref IS NOT NULL"),
            sqlite_where=text("client_ref IS NOT NULL"),
        ),
        Index("ix_messages_thread", "young_person_id", "sent_at", "id"),
        Index("ix_messages_thread_sync", "young_person_id", "updated_at"),
        # The unanswered sweep walks only messages still waiting for staff.
        Index(
            "ix_messages_awaiting",
            "sent_at",
            postgresql_where=text("awaiting_answer"),
            sqlite_where=text("awaiting_answer"),
        ),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    sender_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    sender_role: Mapped[str] = mapped_column(String(20))
    # Shown with a staff message (the sender's name when it was sent); the young person's
    # own first name for theirs.
    sender_name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    client_ref: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    read_by_young_person_at: Mapped[datetime | None]
    # A young person's message no staff member has answered yet.
    awaiting_answer: Mapped[bool] = mapped_column(default=False)

    @property
    def sender(self) -> dict[str, str]:
        return {"role": self.sender_role, "display_name": self.sender_name}


class MessageRead(Base):
    """How far a member of staff has read a thread."""

    __tablename__ = "message_reads"

    young_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("young_people.id"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_up_to: Mapped[datetime]
