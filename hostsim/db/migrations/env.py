"""Alembic environment shared by the host and addons: the engine and version table come from
the caller (``hostsim.db.migrate``), never from an ini file."""

from __future__ import annotations

from alembic import context

config = context.config
engine = config.attributes["engine"]
version_table = config.attributes.get("version_table", "alembic_version")
target_metadata = config.attributes.get("target_metadata")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
