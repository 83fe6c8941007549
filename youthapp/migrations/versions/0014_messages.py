"""messages between a young person and their team

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import youthapp.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("young_person_id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("sender_role", sa.String(length=20), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("client_ref", sa.String(length=64), nullable=True),
        sa.Column("sent_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_by_young_person_at", youthapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("awaiting_answer", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "sender_role IN ('young_person', 'mentor', 'coordinator', 'programme')",
            name=op.f("ck_messages_sender_role"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_messages_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(
        "uq_messages_client_ref",
        "messages",
        ["young_person_id", "client_ref"],
        unique=True,
        postgresql_where=sa.text("client_ref IS NOT NULL"),
        sqlite_where=sa.text("client_ref IS NOT NULL"),
    )
    op.create_index("ix_messages_thread", "messages", ["young_person_id", "sent_at", "id"])
    op.create_index("ix_messages_thread_sync", "messages", ["young_person_id", "updated_at"])
    op.create_index(
        "ix_messages_awaiting",
        "messages",
        ["sent_at"],
        postgresql_where=sa.text("awaiting_answer"),
        sqlite_where=sa.text("awaiting_answer"),
    )
    op.create_table(
        "message_reads",
        sa.Column("young_person_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("read_up_to", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_message_reads_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_message_reads_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("young_person_id", "user_id", name=op.f("pk_message_reads")),
    )


def downgrade() -> None:
    op.drop_table("message_reads")
    op.drop_index("ix_messages_awaiting", table_name="messages")
    op.drop_index("ix_messages_thread_sync", table_name="messages")
    op.drop_index("ix_messages_thread", table_name="messages")
    op.drop_index("uq_messages_client_ref", table_name="messages")
    op.drop_table("messages")
