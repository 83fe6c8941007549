"""idempotency leases and subjects; the erasure reason kept with the record; approvals

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:00:00.000000
"""

import json
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import youthapp.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked_until", youthapp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("young_person_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("referral_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_young_person_id"), ["young_person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_referral_id"), ["referral_id"], unique=False
        )
    _scrub_stored_answers()
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "awaiting_approval_since", youthapp.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("approval_requested_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("approved_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_approval_requested_by_id_users"),
            "users",
            ["approval_requested_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_users_approved_by_id_users"), "users", ["approved_by_id"], ["id"]
        )


# As api/idempotency.py had them when this ran: fields a stored answer must never keep.
_SECRETS = ("activation_code", "url")


def _scrub_stored_answers() -> None:
    """Answers stored before now may hold a live activation code or a calendar key, and do
    not say whom they are about: take the secrets out and note the young person, so that
    they can still be replayed (a retry must not create twice), but only to who may see."""
    keys = sa.table(
        "idempotency_keys",
        sa.column("id", sa.Uuid()),
        sa.column("response_body", sa.LargeBinary()),
        sa.column("young_person_id", sa.Uuid()),
    )
    connection = op.get_bind()
    for key_id, body in connection.execute(
        sa.select(keys.c.id, keys.c.response_body).where(keys.c.response_body.is_not(None))
    ).all():
        try:
            answer = json.loads(body)
        except ValueError:
            continue
        if not isinstance(answer, dict):
            continue
        person = answer.get("young_person_id")
        for name in _SECRETS:
            if answer.get(name) is not None:
                answer[name] = None
        connection.execute(
            keys.update()
            .where(keys.c.id == key_id)
            .values(
                response_body=json.dumps(answer).encode(),
                young_person_id=uuid.UUID(person) if isinstance(person, str) else None,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_approved_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_users_approval_requested_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("approved_by_id")
        batch_op.drop_column("approval_requested_by_id")
        batch_op.drop_column("awaiting_approval_since")
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.drop_column("erasure_reason")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_referral_id"))
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_young_person_id"))
        batch_op.drop_column("referral_id")
        batch_op.drop_column("young_person_id")
        batch_op.drop_column("locked_until")
