"""Alembic migrations, and the few functions the CLI, /readyz and the tests need from them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


@cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(HERE)).get_heads())


def is_up_to_date(connection: Connection) -> bool:
    current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == head_revisions()
