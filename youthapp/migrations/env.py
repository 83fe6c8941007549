"""Alembic environment: runs against the engine the caller hands over in `config.attributes`."""

from alembic import context

from youthapp import models  # noqa: F401  (registers every table on Base.metadata)
from youthapp.db import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
