"""teams across London's boroughs: teams, their boroughs and members, duty, the lead role

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import youthapp.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As youthapp.models.teams has them: the default team, which covers every borough no other
# team holds, so that a programme that never makes teams works exactly as before.
DEFAULT_TEAM_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_TEAM_NAME = "London"
ROLES_BEFORE = ("young_person", "mentor", "coordinator", "referrer", "admin")
ROLES_AFTER = ("young_person", "mentor", "coordinator", "lead", "referrer", "admin")


def _roles(roles: Sequence[str]) -> str:
    return f"role IN ({', '.join(repr(role) for role in roles)})"


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "team_boroughs",
        sa.Column("borough", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_boroughs_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("borough", name=op.f("pk_team_boroughs")),
    )
    op.create_index(op.f("ix_team_boroughs_team_id"), "team_boroughs", ["team_id"])
    op.create_table(
        "team_members",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", youthapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "team_id", name=op.f("pk_team_members")),
    )
    op.create_index("ix_team_members_team", "team_members", ["team_id", "user_id"])

    now = datetime.now(UTC)
    connection = op.get_bind()
    teams = sa.table(
        "teams",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("created_at", youthapp.db.UTCDateTime(timezone=True)),
        sa.column("updated_at", youthapp.db.UTCDateTime(timezone=True)),
    )
    default_id = uuid.UUID(DEFAULT_TEAM_ID)
    connection.execute(
        teams.insert().values(id=default_id, name=DEFAULT_TEAM_NAME, created_at=now, updated_at=now)
    )
    connection.execute(
        sa.text(
            "INSERT INTO team_members (user_id, team_id, joined_at) "
            "SELECT id, :team, :now FROM users WHERE role IN ('coordinator', 'mentor')"
        ).bindparams(
            sa.bindparam("team", type_=sa.Uuid()),
            sa.bindparam("now", type_=youthapp.db.UTCDateTime(timezone=True)),
        ),
        {"team": default_id, "now": now},
    )

    for table in ("young_people", "referrals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("team_id", sa.Uuid(), nullable=True))
        connection.execute(
            sa.text(f"UPDATE {table} SET team_id = :team").bindparams(  # noqa: S608 (a fixed name)
                sa.bindparam("team", type_=sa.Uuid())
            ),
            {"team": default_id},
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("team_id", existing_type=sa.Uuid(), nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_team_id"), ["team_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_team_id_teams"), "teams", ["team_id"], ["id"]
            )

    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_team_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("to_team_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_status_changes_from_team_id_teams"), "teams", ["from_team_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_status_changes_to_team_id_teams"), "teams", ["to_team_id"], ["id"]
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("on_duty_since", youthapp.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", _roles(ROLES_AFTER))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", _roles(ROLES_BEFORE))
        batch_op.drop_column("on_duty_since")
        batch_op.drop_column("on_duty")
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_status_changes_to_team_id_teams", type_="foreignkey")
        batch_op.drop_constraint("fk_status_changes_from_team_id_teams", type_="foreignkey")
        batch_op.drop_column("to_team_id")
        batch_op.drop_column("from_team_id")
    for table in ("referrals", "young_people"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_team_id_teams", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_team_id")
            batch_op.drop_column("team_id")
    op.drop_index("ix_team_members_team", table_name="team_members")
    op.drop_table("team_members")
    op.drop_index(op.f("ix_team_boroughs_team_id"), table_name="team_boroughs")
    op.drop_table("team_boroughs")
    op.drop_table("teams")
