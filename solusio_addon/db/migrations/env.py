"""Alembic environment: see ``hostsim.db.migrate.run_env``."""

from hostsim.db.migrate import run_env

run_env()
