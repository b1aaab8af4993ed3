"""Revision 0004 adds cron_locks.acquired_at/heartbeat_at and email_log.claimed_at in place: a
lock held across the upgrade stays held, a message mid-send gets a claim time (so it goes stale
by the wall clock, not never), and a downgrade keeps the rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import column, insert, select, table

from hostsim.db import migrate
from hostsim.db.models import CronLock, EmailLog, EmailStatus

UTC = timezone.utc


def test_upgrade_and_downgrade_keep_locks_and_messages(host) -> None:
    locks = table("cron_locks", column("name"), column("owner"), column("expires_at"))
    mails = table("email_log", *(column(c) for c in ("created_at", "to", "subject", "body_text", "body_html",
                                                     "status", "error")))
    created = datetime(2026, 8, 1)
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    migrate.downgrade(host.engine, "0003")
    try:
        with host.engine.begin() as conn:
            conn.execute(insert(locks).values(name="SolusioAutomation", owner="web-1:42:abc", expires_at=expires))
            conn.execute(insert(mails), [{"created_at": created, "to": "a@b.co", "subject": status, "body_text": "x",
                                          "body_html": "", "status": status, "error": ""}
                                         for status in ("queued", "sending", "sent")])
        before = datetime.now(UTC)
        migrate.upgrade(host.engine)
        with host.sessions() as s:
            lock = s.get_one(CronLock, "SolusioAutomation")
            assert (lock.owner, lock.acquired_at, lock.heartbeat_at) == ("web-1:42:abc", None, None)
            claims = {m.status: m.claimed_at for m in s.scalars(select(EmailLog))}
        assert claims[EmailStatus.QUEUED] is None and claims[EmailStatus.SENT] is None
        assert before <= claims[EmailStatus.SENDING] <= datetime.now(UTC)
        migrate.downgrade(host.engine, "0003")
        with host.engine.connect() as conn:
            assert list(conn.scalars(select(locks.c.owner))) == ["web-1:42:abc"]
            assert sorted(conn.scalars(select(mails.c.status))) == ["queued", "sending", "sent"]
    finally:
        migrate.upgrade(host.engine)  # the next test's database is at head again
    assert migrate.is_up_to_date(host.engine)
