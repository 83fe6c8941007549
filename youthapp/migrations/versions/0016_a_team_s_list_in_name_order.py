"""a team's young people in name order

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 16:00:00.000000

A coordinator's GET /young-people is `team_id = :team ... ORDER BY last_name, first_name,
id` over the young people not erased: with this index the database walks the team's rows
in that order and stops at the page, and counts them from the index alone, instead of
reading and sorting every young person of the team (2,000 at 100,000 in 50 teams).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_ERASED = "erased_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_young_people_team_by_name",
        "young_people",
        ["team_id", "last_name", "first_name", "id"],
        postgresql_where=sa.text(NOT_ERASED),
        sqlite_where=sa.text(NOT_ERASED),
    )


def downgrade() -> None:
    op.drop_index("ix_young_people_team_by_name", table_name="young_people")
