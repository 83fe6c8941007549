"""users by role

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 17:00:00.000000

Every lead is told of each escalation, every admin of case access handed out: found by
role, which without an index read every user (every young person's account among them:
14 ms an escalation at 100,000 young people).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_role", "users", ["role"])


def downgrade() -> None:
    op.drop_index("ix_users_role", table_name="users")
