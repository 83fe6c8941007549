"""the case as a whole: status history, handovers, alert resolutions, duplicate matching

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000
"""

import unicodedata
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import youthapp.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _match_key(first_name: str, last_name: str) -> str:
    # A copy of youthapp.vocabulary.name_match_key as it was when this ran: a migration must
    # not change meaning when the code it once imported does.
    folded = []
    for part in (first_name, last_name):
        decomposed = unicodedata.normalize("NFKD", part.casefold())
        bare = "".join(char for char in decomposed if not unicodedata.combining(char))
        folded.append(" ".join(bare.split()))
    return "|".join(folded)


def _fill_match_keys(table: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT id, first_name, last_name FROM {table}")).all()  # noqa: S608 (a fixed name)
    statement = sa.text(f"UPDATE {table} SET match_key = :key WHERE id = :id")  # noqa: S608
    for row_id, first_name, last_name in rows:
        connection.execute(statement, {"key": _match_key(first_name, last_name), "id": row_id})


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("young_person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_status_changes_changed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_status_changes_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_changes_young_person", ["young_person_id", "changed_at"], unique=False
        )

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_reason", sa.String(length=20), nullable=True))

    op.create_table(
        "handovers",
        sa.Column("young_person_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("from_mentor_id", sa.Uuid(), nullable=False),
        sa.Column("to_mentor_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("appointments_moved", sa.Integer(), nullable=False),
        sa.Column("appointments_cancelled", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_handovers_assignment_id_assignments"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_handovers_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["from_mentor_id"], ["users.id"], name=op.f("fk_handovers_from_mentor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["to_mentor_id"], ["users.id"], name=op.f("fk_handovers_to_mentor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_handovers_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_handovers_young_person", ["young_person_id", "created_at"], unique=False
        )

    # Reminders are keyed by the SEQUENCE of the last change of time; for every existing
    # appointment that is its SEQUENCE now, so the keys of reminders already sent stay the same.
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timing_sequence", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE appointments SET timing_sequence = sequence")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.alter_column("timing_sequence", server_default=None)

    # Alerts resolved before there were system resolutions were all resolved by staff;
    # open ones have no resolution yet.
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=30), nullable=True))
    op.execute("UPDATE alerts SET resolution = 'staff' WHERE status = 'resolved'")

    with op.batch_alter_table("safety_timers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_safety_timers_status"), type_="check")
        batch_op.create_check_constraint("status", "status IN ('running', 'safe', 'stopped')")

    # Matching a referral to the same person: a folded name beside the date of birth.
    for table in ("young_people", "referrals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("match_key", sa.String(length=202), nullable=True))
        _fill_match_keys(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("match_key", existing_type=sa.String(length=202), nullable=False)
            batch_op.create_index(f"ix_{table}_match", ["match_key", "date_of_birth"], unique=False)

    # One young person may now have several referrals (referred again, linked).
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_referrals_young_person_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_referrals_young_person_id"), ["young_person_id"], unique=False
        )

    # The status history starts with what is known: enrolled, and the current status since
    # it was last changed.
    when = youthapp.db.UTCDateTime(timezone=True)
    young_people = sa.table(
        "young_people",
        sa.column("id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("created_at", when),
        sa.column("status_changed_at", when),
    )
    history = sa.table(
        "status_changes",
        sa.column("id", sa.Uuid()),
        sa.column("young_person_id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("reason", sa.String()),
        sa.column("changed_at", when),
    )
    rows = []
    for person_id, status, created_at, changed_at in op.get_bind().execute(
        sa.select(
            young_people.c.id,
            young_people.c.status,
            young_people.c.created_at,
            young_people.c.status_changed_at,
        )
    ):
        rows.append(
            {
                "id": uuid.uuid4(),
                "young_person_id": person_id,
                "status": "active",
                "reason": "enrolled",
                "changed_at": created_at,
            }
        )
        if status != "active":
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "young_person_id": person_id,
                    "status": status,
                    "reason": None,
                    "changed_at": changed_at or created_at,
                }
            )
    if rows:
        op.bulk_insert(history, rows)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_young_person_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_referrals_young_person_id"), ["young_person_id"]
        )
    for table in ("referrals", "young_people"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_match")
            batch_op.drop_column("match_key")
    op.execute("UPDATE safety_timers SET status = 'safe' WHERE status = 'stopped'")
    with op.batch_alter_table("safety_timers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_safety_timers_status"), type_="check")
        batch_op.create_check_constraint("status", "status IN ('running', 'safe')")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("resolution")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("timing_sequence")
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_index("ix_handovers_young_person")
    op.drop_table("handovers")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("ended_reason")
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_changes_young_person")
    op.drop_table("status_changes")
