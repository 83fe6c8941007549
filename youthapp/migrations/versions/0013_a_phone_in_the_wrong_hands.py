"""a phone in the wrong hands: PINs, lockdown, sessions, safe contact, consent reviews, timers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from alembic import op

import youthapp.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _moment(name: str) -> sa.Column:
    return sa.Column(name, youthapp.db.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_windows", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("contact_channels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("no_go_boroughs", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("app_pin_hash", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("duress_pin_hash", sa.String(255), nullable=True))
        batch_op.add_column(
            sa.Column("pin_failures", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(_moment("pins_changed_at"))
        batch_op.add_column(_moment("locked_down_at"))
    _quiet_hours_to_windows()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("quiet_hours_start")
        batch_op.drop_column("quiet_hours_end")

    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(_moment("last_used_at"))
        batch_op.add_column(sa.Column("platform", sa.String(20), nullable=True))

    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_given_by", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("consent_competence_assessed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("reporting_consent_by", sa.String(20), nullable=True))
        batch_op.add_column(_moment("consent_review_due_since"))
        batch_op.add_column(
            sa.Column(
                "consent_reviewed_age", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
    _birthdays_already_passed()

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_given_by", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("consent_competence_assessed", sa.Boolean(), nullable=True))

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("borough", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("safety_timers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column("extensions", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("history", sa.JSON(), nullable=True))
        batch_op.add_column(_moment("warned_at"))
    op.execute("UPDATE safety_timers SET history = '[]'")
    with op.batch_alter_table("safety_timers", schema=None) as batch_op:
        batch_op.alter_column("history", existing_type=sa.JSON(), nullable=False)


def _quiet_hours_to_windows() -> None:
    """Quiet hours from 22:00 to 07:00 are one window every day from 07:00 to 22:00."""
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("quiet_hours_start", sa.Time()),
        sa.column("quiet_hours_end", sa.Time()),
        sa.column("contact_windows", sa.JSON()),
    )
    rows = connection.execute(
        sa.select(users.c.id, users.c.quiet_hours_start, users.c.quiet_hours_end).where(
            users.c.quiet_hours_start.is_not(None), users.c.quiet_hours_end.is_not(None)
        )
    ).all()
    for user_id, start, end in rows:
        window = {"days": DAYS, "from": end.strftime("%H:%M"), "to": start.strftime("%H:%M")}
        connection.execute(
            users.update().where(users.c.id == user_id).values(contact_windows=[window])
        )


def _birthdays_already_passed() -> None:
    """A young person already 16 or 18 is not reviewed for a birthday before this ran."""
    connection = op.get_bind()
    people = sa.table(
        "young_people",
        sa.column("id", sa.Uuid()),
        sa.column("date_of_birth", sa.Date()),
        sa.column("consent_reviewed_age", sa.Integer()),
    )
    today = datetime.now(UTC).date()
    for person_id, born in connection.execute(sa.select(people.c.id, people.c.date_of_birth)):
        age = _age(born, today)
        reviewed = 18 if age >= 18 else 16 if age >= 16 else 0
        if reviewed:
            connection.execute(
                people.update()
                .where(people.c.id == person_id)
                .values(consent_reviewed_age=reviewed)
            )


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def downgrade() -> None:
    with op.batch_alter_table("safety_timers", schema=None) as batch_op:
        for name in ("warned_at", "history", "extensions", "version"):
            batch_op.drop_column(name)
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
        batch_op.drop_column("borough")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("consent_competence_assessed")
        batch_op.drop_column("consent_given_by")
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        for name in (
            "consent_reviewed_age",
            "consent_review_due_since",
            "reporting_consent_by",
            "consent_competence_assessed",
            "consent_given_by",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_column("platform")
        batch_op.drop_column("last_used_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_hours_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("quiet_hours_end", sa.Time(), nullable=True))
    # Windows that are one a day every day go back to quiet hours; any others are lost.
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("quiet_hours_start", sa.Time()),
        sa.column("quiet_hours_end", sa.Time()),
        sa.column("contact_windows", sa.JSON()),
    )
    rows = connection.execute(
        sa.select(users.c.id, users.c.contact_windows).where(users.c.contact_windows.is_not(None))
    ).all()
    for user_id, windows in rows:
        if windows and len(windows) == 1 and sorted(windows[0]["days"]) == sorted(DAYS):
            connection.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(
                    quiet_hours_start=time.fromisoformat(windows[0]["to"]),
                    quiet_hours_end=time.fromisoformat(windows[0]["from"]),
                )
            )
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name in (
            "locked_down_at",
            "pins_changed_at",
            "pin_failures",
            "duress_pin_hash",
            "app_pin_hash",
            "no_go_boroughs",
            "contact_channels",
            "contact_windows",
        ):
            batch_op.drop_column(name)
