"""Alembic environment: runs against the engine the caller hands over in `config.attributes`."""

from alembic import context

from youthapp import models  # noqa: F401  (registers every table on Base.metadata)
from youthapp.db import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode copies a table and drops the old one, which SQLite refuses while other
        # tables' rows point at it and foreign keys are on. So they are off for the
        # migration (set outside any transaction, as SQLite requires), every reference is
        # checked before it commits, and the connection is never used again.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left broken references: {broken[:5]}")
        connection.commit()
    finally:
        if sqlite:
            connection.invalidate()  # its foreign keys are off: it must not go back to the pool
