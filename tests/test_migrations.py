"""The migrations build exactly the schema the models describe, and can be undone and redone.

Each run uses a database of its own (a new SQLite file; on PostgreSQL a new schema), so the
session's app and its tables are left alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from youthapp import (
    migrations,
    models,  # noqa: F401  (every table on Base.metadata)
)
from youthapp.db import Base, make_engine


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fresh_engine" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.config.getoption("--db") == "postgres":
            backends.append("postgres")
        metafunc.parametrize("backend", backends)


@pytest.fixture
def fresh_engine(backend: str, tmp_path) -> Iterator[Engine]:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url = os.environ["TEST_DATABASE_URL"]
    schema = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def schema_differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)


def check_constraint_names(engine: Engine) -> dict[str, set[str]]:
    """Autogenerate does not compare CHECK constraints, so they are compared by name here."""
    inspector = inspect(engine)
    return {
        table: {c["name"] for c in inspector.get_check_constraints(table)}
        for table in Base.metadata.tables
    }


def expected_check_constraint_names() -> dict[str, set[str]]:
    from sqlalchemy import CheckConstraint

    return {
        name: {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        for name, table in Base.metadata.tables.items()
    }


def user_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_there_is_one_head():
    assert len(ScriptDirectory(str(migrations.HERE)).get_heads()) == 1


def test_migrations_match_the_models(fresh_engine):
    migrations.upgrade(fresh_engine)

    assert schema_differences(fresh_engine) == []
    assert user_tables(fresh_engine) == set(Base.metadata.tables)
    assert check_constraint_names(fresh_engine) == expected_check_constraint_names()
    with fresh_engine.connect() as connection:
        assert migrations.is_up_to_date(connection)


def test_downgrade_to_base_and_upgrade_again(fresh_engine):
    migrations.upgrade(fresh_engine)
    migrations.downgrade(fresh_engine, "base")

    assert user_tables(fresh_engine) == set()
    with fresh_engine.connect() as connection:
        assert not migrations.is_up_to_date(connection)

    migrations.upgrade(fresh_engine)
    assert schema_differences(fresh_engine) == []
    assert user_tables(fresh_engine) == set(Base.metadata.tables)
    with fresh_engine.connect() as connection:
        assert migrations.is_up_to_date(connection)
