"""Database plumbing: the engine, sessions, and the declarative Base every model uses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Delete,
    MetaData,
    Table,
    Update,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from youthapp.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    SQLite keeps no offset, so the zone is re-attached on load; naive values are refused
    on the way in, because a guessed zone is a wrong reminder.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("refusing to store a naive datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


def one_of(
    column: str, values: Sequence[str], *, name: str, nullable: bool = False
) -> CheckConstraint:
    """A CHECK that `column` holds one of `values` (the vocabulary the model names once)."""
    allowed = f"{column} IN ({', '.join(repr(value) for value in values)})"
    return CheckConstraint(f"{column} IS NULL OR {allowed}" if nullable else allowed, name=name)


def table_of(model: type[Base]) -> Table:
    """The Table a model is mapped to, for statements in Core (DeclarativeBase types
    `__table__` as any FromClause; every model here declares a `__tablename__`)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def rowcount(session: Session, statement: Update | Delete) -> int:
    """Execute an UPDATE or DELETE and say how many rows it matched.

    Session.execute types every result as a Result; for a statement without RETURNING it
    is a CursorResult, which carries the count."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


READ_ONLY = "youthapp_read_only"


class WriteInReadOnlySession(Exception):
    """A statement other than a SELECT was sent on a read-only session (a bug)."""


def make_engine(
    url: str, *, sqlite_write_lock_first: bool = True, pre_ping: bool = True, **options: Any
) -> Engine:
    """An engine with the connection settings each backend needs to be safe and concurrent.

    On SQLite every transaction takes the write lock when it begins, so two writers queue
    on the busy timeout instead of one failing half-way through; a read-only observer
    (the tests' own session) can turn that off and never hold up the app, and so does a
    read-only session (`read_only_engine`).

    On PostgreSQL a pooled connection is pinged before use (`pre_ping`), one round trip,
    so that a restarted server costs no failed statement. The web app turns that off and
    retries instead a request whose first statement found its connection lost
    (api/database.py).
    """
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate if sqlite_write_lock_first else _begin)
    else:
        engine = create_engine(url, pool_pre_ping=pre_ping, **options)
    event.listen(engine, "before_cursor_execute", _refuse_writes_when_read_only)
    return engine


def read_only_engine(engine: Engine) -> Engine:
    """The same pool, for sessions that only read: on PostgreSQL in autocommit, so a read
    costs its SELECTs and no BEGIN or ROLLBACK round trip; on SQLite without the write
    lock. Anything but a SELECT on it is refused before it reaches the database: in
    autocommit a write would be saved at once, with no transaction to roll back."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True})
    return engine.execution_options(**{READ_ONLY: True})


def _refuse_writes_when_read_only(
    _conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    if context is not None and context.execution_options.get(READ_ONLY):
        if not statement.lstrip()[:6].upper().startswith(("SELECT", "BEGIN")):
            raise WriteInReadOnlySession(statement.split(None, 1)[0])


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
