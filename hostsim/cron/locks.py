"""Cross-process task locks: one ``cron_locks`` row per task, claimed with a conditional UPDATE.

The claim is ``UPDATE cron_locks SET owner=:me, expires_at=:t ... WHERE name=:n AND (owner='' OR
expires_at < :now)``; exactly one process sees one row changed, on SQLite, PostgreSQL and MariaDB
alike (the database serialises writers of a row and re-checks the condition).

A claim is short-lived (``DEFAULT_TTL``, 90 s) and its holder keeps it with a heartbeat (every
``DEFAULT_TTL / 4``; the runner beats from a thread while the task runs), so a long run is never
taken over while its process lives, and the claim of a process that died lapses within the TTL.
Faster still, a claim whose owner ran on THIS host (same hostname) under a PID that no longer
exists is taken over at once: the takeover is a conditional UPDATE on that exact owner string, so
of two processes recovering it only one wins. A PID reused by an unrelated process meanwhile only
delays the recovery until the claim expires.

Owners are ``hostname:pid:nonce``. Lock times are wall-clock UTC, never the host clock, which
``--today`` may move.
"""

from __future__ import annotations

import contextvars
import errno
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import Engine, Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hostsim.db.base import table_of
from hostsim.db.models import CronLock

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(seconds=90)
_table: Table = table_of(CronLock)
_FREE = {"owner": "", "expires_at": None, "acquired_at": None, "heartbeat_at": None}


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


def this_host() -> str:
    return socket.gethostname()[:60]


def new_owner() -> str:
    return f"{this_host()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def default_heartbeat(ttl: timedelta) -> timedelta:
    """How often a holder renews a claim of ``ttl``: three beats may be missed before it lapses."""
    return ttl / 4


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a zombie counts as gone: it runs nothing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError as exc:
        return exc.errno != errno.ESRCH
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The state follows the command name in parentheses, which may itself hold ")".
            return stat.read().rpartition(")")[2].split()[:1] != ["Z"]
    except OSError:
        return True  # no /proc (not Linux): kill(0) said it exists


@dataclass(frozen=True)
class LockInfo:
    """A claim on a task as its row holds it, and whether its owner is still there.

    ``state``: ``live`` (held and renewed in time), ``expired`` (not renewed within its TTL) or
    ``dead`` (its owner ran on this host and that process is gone).
    """

    name: str
    owner: str
    hostname: str
    pid: int | None
    acquired_at: datetime | None
    heartbeat_at: datetime | None
    expires_at: datetime | None
    state: str

    @property
    def live(self) -> bool:
        return self.state == "live"

    @property
    def on_this_host(self) -> bool:
        return self.hostname == this_host()

    def describe(self, now: datetime | None = None) -> str:
        """``host web-1, PID 4242, since ..., last heartbeat ... (12 s ago)`` for messages."""
        now = now or wall_now()
        where = f"host {self.hostname or '?'}{' (this host)' if self.on_this_host else ''}"
        parts = [where, f"PID {self.pid if self.pid is not None else '?'}", f"since {_at(self.acquired_at)}"]
        beat = f"last heartbeat {_at(self.heartbeat_at)}"
        if self.heartbeat_at is not None:
            beat += f" ({_ago(now - self.heartbeat_at)})"
        parts.append(beat)
        return ", ".join(parts)


def _at(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def parse_owner(owner: str) -> tuple[str, int | None]:
    """(hostname, PID) of an owner string ``hostname:pid:nonce``; PID None when it has none."""
    hostname, _sep, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    return hostname, int(pid_text) if pid_text.isdigit() else None


class TaskLocks:
    """Claim, renew and release task locks as ``owner`` (one per cron process)."""

    def __init__(self, engine: Engine, owner: str | None = None, ttl: timedelta = DEFAULT_TTL,
                 now: Callable[[], datetime] = wall_now) -> None:
        self.engine = engine
        self.owner = owner or new_owner()
        self.ttl = ttl
        self.now = now

    def _ensure_row(self, name: str) -> None:
        with self.engine.connect() as conn:
            if conn.execute(select(_table.c.name).where(_table.c.name == name)).first() is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(_table).values(name=name, **_FREE))
        except IntegrityError:
            pass  # a concurrent process inserted it; the UPDATE below decides who wins

    def _claim(self, now: datetime) -> dict[str, object]:
        return {"owner": self.owner, "expires_at": now + self.ttl, "acquired_at": now, "heartbeat_at": now}

    def acquire(self, name: str) -> bool:
        """Claim ``name`` if it is free, its claim has expired, or its owner (on this host) is gone."""
        self._ensure_row(name)
        now = self.now()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_table)
                .where(_table.c.name == name)
                .where(or_(_table.c.owner == "", _table.c.expires_at.is_(None), _table.c.expires_at < now))
                .values(**self._claim(now))
            )
        if result.rowcount == 1:
            return True
        info = self.inspect(name)
        if info is None or info.state != "dead":
            return False
        # Only the exact claim we saw is replaced: a process that took it meanwhile keeps it.
        if not self._replace(name, info.owner, self._claim(self.now())):
            return False
        log.warning("%s: took over the lock of PID %s on this host, which is gone (killed or crashed); "
                    "it held the lock since %s", name, info.pid, _at(info.acquired_at))
        return True

    def _replace(self, name: str, owner: str, values: dict[str, object]) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(_table).where(and_(_table.c.name == name, _table.c.owner == owner))
                                  .values(**values))
        return result.rowcount == 1

    def renew(self, name: str) -> bool:
        """Push the expiry of our claim on ``name`` forward (a heartbeat); False when we no longer hold it."""
        now = self.now()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_table)
                .where(and_(_table.c.name == name, _table.c.owner == self.owner))
                .values(expires_at=now + self.ttl, heartbeat_at=now)
            )
        return result.rowcount == 1

    def release(self, name: str) -> None:
        self._replace(name, self.owner, dict(_FREE))

    def release_owner(self, name: str, owner: str) -> bool:
        """Release the claim of ``owner`` on ``name`` (by hand: ``cron unlock``); False when it
        is not that owner's any more."""
        return self._replace(name, owner, dict(_FREE))

    def inspect(self, name: str) -> LockInfo | None:
        """The claim on ``name`` with its state, or None when nobody holds it."""
        with self.engine.connect() as conn:
            row = conn.execute(select(_table).where(_table.c.name == name)).first()
        if row is None or not row.owner:
            return None
        hostname, pid = parse_owner(row.owner)
        if row.expires_at is None or row.expires_at < self.now():
            state = "expired"
        elif hostname == this_host() and pid is not None and not pid_alive(pid):
            state = "dead"
        else:
            state = "live"
        return LockInfo(name=name, owner=row.owner, hostname=hostname, pid=pid, acquired_at=row.acquired_at,
                        heartbeat_at=row.heartbeat_at, expires_at=row.expires_at, state=state)

    def holder(self, name: str) -> LockInfo | None:
        """The live claim on ``name``, or None when it is free, expired or its owner is gone."""
        info = self.inspect(name)
        return info if info is not None and info.live else None


class Heartbeat:
    """Renews the claim on ``name`` from a daemon thread every ``every`` while a task runs.

    The task need not cooperate: a run busy in one long call keeps its lock, and a process that
    dies stops beating with it. ``with Heartbeat(locks, name, every):`` starts the thread and
    stops it (before the lock is released) when the block ends. A failed renewal (the database
    briefly unreachable) is logged and tried again at the next beat; a lost claim (taken over
    after the process stalled past its TTL, or unlocked by hand) ends the beating.
    """

    def __init__(self, locks: TaskLocks, name: str, every: timedelta) -> None:
        self.locks, self.name = locks, name
        self.every = max(every.total_seconds(), 0.01)
        self.beats = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Heartbeat":
        # The thread logs under the run's context (cron run id, task), as the task itself does.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._beat,), name=f"cron-heartbeat-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            # A renewal still in flight after this is harmless: it only matches our own claim.
            self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                kept = self.locks.renew(self.name)
            except Exception as exc:  # the database is away for a moment: the next beat retries
                log.warning("%s: could not renew the lock (%s); retrying in %.0f s", self.name, exc, self.every)
                continue
            self.beats += 1
            if not kept:
                self.lost = True
                log.warning("%s: lost its lock: another process took it over or it was unlocked by hand", self.name)
                return
