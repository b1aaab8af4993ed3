"""Alembic environment: the host's helper runs it (engine and version table from the caller)."""

from hostsim.addon_api import run_migrations_env

run_migrations_env()
