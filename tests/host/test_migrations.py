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



def test_status_columns_keep_their_values_through_the_enum_revision(host):
    """0002 widens email_log.status and cron_runs.status for the status enums: rows written
    before it read back as the enum members after it, and a downgrade keeps them too."""
    from datetime import date, datetime, timezone

    from sqlalchemy import column, insert, table

    from hostsim.db.models import CronRun, CronRunStatus, CronTask, EmailLog, EmailStatus

    # Plain tables as revision 0001 left them: the values go in as the strings they were.
    runs = table("cron_runs", *(column(c) for c in ("task_name", "as_of", "started_at", "status", "counters",
                                                    "output", "error")))
    mails = table("email_log", *(column(c) for c in ("created_at", "to", "subject", "body_text", "body_html",
                                                     "status", "error")))
    now = datetime(2026, 8, 1, tzinfo=timezone.utc)
    migrate.downgrade(host.engine, "0001")
    try:
        with host.engine.begin() as conn:
            conn.execute(insert(CronTask.__table__).values(name="Old", description="", module="", priority=1,
                                                           frequency_minutes=5, enabled=True))
            conn.execute(insert(runs).values(task_name="Old", as_of=date(2026, 8, 1), started_at=now.replace(tzinfo=None),
                                             status="success", counters="{}", output="", error=""))
            conn.execute(insert(mails), [{"created_at": now.replace(tzinfo=None), "to": "a@b.co", "subject": "x",
                                          "body_text": "x", "body_html": "", "status": status, "error": ""}
                                         for status in ("logged", "sent", "failed")])
        migrate.upgrade(host.engine)
        assert schema_diff(host.engine, addon=False) == []
        with host.sessions() as s:
            assert [r.status for r in s.scalars(select(CronRun))] == [CronRunStatus.SUCCESS]
            assert [m.status for m in s.scalars(select(EmailLog).order_by(EmailLog.id))] == [
                EmailStatus.LOGGED, EmailStatus.SENT, EmailStatus.FAILED]
        migrate.downgrade(host.engine, "0001")
        with host.engine.connect() as conn:
            assert sorted(conn.scalars(select(mails.c.status))) == ["failed", "logged", "sent"]
    finally:
        migrate.upgrade(host.engine)  # the next test's database is at head again
    assert migrate.is_up_to_date(host.engine)
