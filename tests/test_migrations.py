"""The migrations build exactly the schema the models describe, and can be undone and redone.

Each run uses a database of its own (a new SQLite file; on PostgreSQL a new schema), so the
session's app and its tables are left alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Uuid, column, insert, inspect, text
from sqlalchemy import table as table_clause
from sqlalchemy.engine import Engine

from youthapp import (
    migrations,
    models,  # noqa: F401  (every table on Base.metadata)
)
from youthapp.db import Base, UTCDateTime, make_engine


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


def _insert(connection, table: str, **values) -> None:
    """A row as an older schema had it (the models describe only the newest)."""

    def typed(value):
        if isinstance(value, uuid.UUID):
            return Uuid()
        if isinstance(value, datetime):
            return UTCDateTime()
        if isinstance(value, list | dict):
            return JSON()
        return None

    columns = [column(name, typed(value)) for name, value in values.items()]
    connection.execute(insert(table_clause(table, *columns)).values(**values))


def test_the_case_migration_keeps_existing_records_working(fresh_engine):
    """0010 on a database with records in it: names become matchable, the status history
    starts from what is known, resolved alerts were resolved by staff and open ones have no
    resolution, and reminder keys of existing appointments stay as they were."""
    migrations.upgrade(fresh_engine, "0009")
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    person, exited, mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    consents = {
        "consent_reporting": False,
        "share_mental_health": True,
        "share_substance_misuse": True,
        "share_housing": True,
        "share_employment": True,
    }
    with fresh_engine.begin() as connection:
        for person_id, first, last, status in (
            (person, "Zoë", "Ó Briain", "active"),
            (exited, "Sam", "Lee", "exited"),
        ):
            _insert(
                connection,
                "young_people",
                id=person_id,
                first_name=first,
                last_name=last,
                search_name=f"{first} {last}".lower(),
                date_of_birth=date(2010, 1, 1),
                borough="Hackney",
                needs=[],
                status=status,
                created_at=now,
                updated_at=now,
                **({"status_changed_at": now} if status != "active" else {}),
                **consents,
            )
        _insert(
            connection,
            "users",
            id=mentor,
            email="m@example.org",
            password_hash="x",
            role="mentor",
            display_name="M",
            is_active=True,
            specialty="housing",
            discreet_mode=True,
            location_sharing=False,
            language="en",
            timezone="Europe/London",
            created_at=now,
            updated_at=now,
        )
        for status in ("open", "resolved"):
            _insert(
                connection,
                "alerts",
                id=uuid.uuid4(),
                young_person_id=person,
                kind="missed_check_in",
                urgent=False,
                status=status,
                summary="s",
                details={},
                occurrences=1,
                last_occurred_at=now,
                created_at=now,
                updated_at=now,
            )
        _insert(
            connection,
            "appointments",
            id=uuid.uuid4(),
            young_person_id=person,
            mentor_id=mentor,
            starts_at=now,
            ends_at=now + timedelta(minutes=30),
            duration_minutes=30,
            mode="phone",
            status="scheduled",
            young_person_response="pending",
            created_by_id=mentor,
            timing_set_at=now,
            sequence=3,
            version=1,
            created_at=now,
            updated_at=now,
        )

    migrations.upgrade(fresh_engine)

    with fresh_engine.connect() as connection:
        keys = dict(
            connection.execute(text("SELECT first_name, match_key FROM young_people")).all()
        )
        assert keys == {"Zoë": "zoe|o briain", "Sam": "sam|lee"}
        history = connection.execute(
            text("SELECT young_person_id, status, reason FROM status_changes")
        ).all()
        assert sorted(
            (str(p).replace("-", "") == exited.hex, s, r or "") for p, s, r in history
        ) == [
            (False, "active", "enrolled"),
            (True, "active", "enrolled"),
            (True, "exited", ""),
        ]
        resolutions = dict(connection.execute(text("SELECT status, resolution FROM alerts")).all())
        assert resolutions == {"open": None, "resolved": "staff"}
        assert connection.execute(text("SELECT timing_sequence FROM appointments")).scalar() == 3
