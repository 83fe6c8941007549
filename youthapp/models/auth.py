"""Sign-in sessions, refresh tokens and failed attempts: what makes auth revocable and throttled."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.clock import utcnow
from youthapp.db import Base, IdMixin


class AuthSession(IdMixin, Base):
    """One sign-in on one device: the family of every token issued from it.

    Access tokens name their session, so revoking it (logout, a replayed refresh token,
    deactivation) cuts off every token of the family at once, and survives a restart.
    """

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    # When the sign-in was last used to get tokens (signing in, or a refresh), and what it
    # is on, as its user agent said ("ios", "android", "web").
    last_used_at: Mapped[datetime | None]
    platform: Mapped[str | None] = mapped_column(String(20))


class RefreshToken(Base):
    """A refresh token by its `jti`; each is spent by its first use."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    spent_at: Mapped[datetime | None]


class AuthFailure(IdMixin, Base):
    """A failed login or activation, counted per account and per client address."""

    __tablename__ = "auth_failures"
    __table_args__ = (
        Index("ix_auth_failures_account", "purpose", "account_key", "occurred_at"),
        Index("ix_auth_failures_address", "purpose", "client_address", "occurred_at"),
    )

    purpose: Mapped[str] = mapped_column(String(20))
    # A hash of the normalised email tried, whether or not an account has it: an unknown
    # email is throttled exactly like a known one, and mistyped addresses are not kept.
    # Set to NULL once a success forgives it; it still counts against the address.
    account_key: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
