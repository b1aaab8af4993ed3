"""Each Alembic history builds exactly the schema its models describe, and upgrades in place."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from hostsim.db import migrate
from hostsim.db.base import Base
from hostsim.db.models import Currency

ADDON_PREFIX = "mod_"


def schema_diff(engine, *, addon: bool) -> list:
    """Differences between the models and the database, for the host's or the addons' tables."""
    def mine(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
        return bool(table) and table.startswith(ADDON_PREFIX) == addon and not table.startswith("alembic_version")

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(ctx, Base.metadata))


def test_host_models_and_migrations_agree(host):
    assert schema_diff(host.engine, addon=False) == []


def test_addon_models_and_migrations_agree(host):
    import solusio_addon.db.models  # noqa: F401 - registers the addon's tables on the metadata
    from solusio_addon.db import MIGRATIONS, VERSION_TABLE
    migrate.upgrade(host.engine, MIGRATIONS, VERSION_TABLE)
    assert schema_diff(host.engine, addon=True) == []


def test_database_is_at_head_and_upgrade_is_idempotent(host):
    assert migrate.is_up_to_date(host.engine)
    migrate.upgrade(host.engine)  # an existing instance: nothing to do, data untouched
    with host.sessions() as s:
        assert set(s.scalars(select(Currency.code))) >= {"USD", "EUR"}
