"""Cross-process task locks: one ``cron_locks`` row per task, claimed with a conditional UPDATE.

The claim is ``UPDATE cron_locks SET owner=:me, expires_at=:t WHERE name=:n AND (owner='' OR
expires_at < :now)``; exactly one process sees one row changed, on SQLite, PostgreSQL and MariaDB
alike (the database serialises writers of a row and re-checks the condition). A process that is
killed leaves its claim behind until ``expires_at``; a long task renews it with a heartbeat.

Lock times are wall-clock UTC, never the host clock, which ``--today`` may move.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hostsim.db.base import table_of
from hostsim.db.models import CronLock

DEFAULT_TTL = timedelta(hours=2)
_table: Table = table_of(CronLock)


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


def new_owner() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class TaskLocks:
    """Claim, renew and release task locks as ``owner`` (one per cron process)."""

    def __init__(self, engine: Engine, owner: str | None = None, ttl: timedelta = DEFAULT_TTL) -> None:
        self.engine = engine
        self.owner = owner or new_owner()
        self.ttl = ttl

    def _ensure_row(self, name: str) -> None:
        with self.engine.connect() as conn:
            if conn.execute(select(_table.c.name).where(_table.c.name == name)).first() is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(_table).values(name=name, owner="", expires_at=None))
        except IntegrityError:
            pass  # a concurrent process inserted it; the UPDATE below decides who wins

    def acquire(self, name: str) -> bool:
        """Claim ``name`` if it is free or its holder's claim has expired."""
        self._ensure_row(name)
        now = wall_now()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_table)
                .where(_table.c.name == name)
                .where(or_(_table.c.owner == "", _table.c.expires_at.is_(None), _table.c.expires_at < now))
                .values(owner=self.owner, expires_at=now + self.ttl)
            )
        return result.rowcount == 1

    def renew(self, name: str) -> bool:
        """Push the expiry of our claim on ``name`` forward; False when we no longer hold it."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_table)
                .where(and_(_table.c.name == name, _table.c.owner == self.owner))
                .values(expires_at=wall_now() + self.ttl)
            )
        return result.rowcount == 1

    def release(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(_table)
                .where(and_(_table.c.name == name, _table.c.owner == self.owner))
                .values(owner="", expires_at=None)
            )

    def holder(self, name: str) -> tuple[str, datetime | None] | None:
        """The current claim on ``name`` (owner, expiry), or None when free or expired."""
        with self.engine.connect() as conn:
            row = conn.execute(select(_table.c.owner, _table.c.expires_at).where(_table.c.name == name)).first()
        if row is None or not row.owner:
            return None
        expires = row.expires_at
        if expires is not None and expires < wall_now():
            return None
        return row.owner, expires
