"""Versioned schema migrations (Alembic) for the host and for each addon.

The host's revisions live in ``hostsim/db/migrations``; an addon keeps its own script folder and
its own version table, so the host and each addon upgrade independently and in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: every process imports this module (through the addon
# API), and most of them (a web worker, the mail courier) never migrate; importing it costs
# a few hundred milliseconds of start-up.

HOST_MIGRATIONS = Path(__file__).with_name("migrations")
HOST_VERSION_TABLE = "alembic_version"


def run_env() -> None:
    """The body of every ``env.py`` (host and addons): engine and version table come from the
    caller through ``Config.attributes``, never from an ini file. Revisions are written by hand
    (the project never autogenerates), so no target metadata is given."""
    from alembic import context

    config = context.config
    engine = config.attributes["engine"]

    with engine.begin() as connection:
        context.configure(
            connection=connection,
            version_table=config.attributes.get("version_table", HOST_VERSION_TABLE),
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


def _config(engine: Engine, script_location: Path, version_table: str) -> "Config":
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["engine"] = engine
    cfg.attributes["version_table"] = version_table
    return cfg


def upgrade(engine: Engine, script_location: Path = HOST_MIGRATIONS, version_table: str = HOST_VERSION_TABLE,
            revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_config(engine, script_location, version_table), revision)


def downgrade(engine: Engine, revision: str, script_location: Path = HOST_MIGRATIONS,
              version_table: str = HOST_VERSION_TABLE) -> None:
    from alembic import command

    command.downgrade(_config(engine, script_location, version_table), revision)


def current_revision(engine: Engine, version_table: str = HOST_VERSION_TABLE) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": version_table}).get_current_revision()


def head_revision(script_location: Path = HOST_MIGRATIONS) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return ScriptDirectory.from_config(cfg).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
