"""Login throttling whose check and record are one atomic step on every backend.

Each throttle key (``admin:user:boss``, ``client:ip:192.0.2.7``) has one ``login_counters`` row:
the failures counted since ``window_start``. An attempt *reserves* its place before the password
is checked, with one conditional UPDATE that both checks and counts::

    UPDATE login_counters SET failures = failures + 1          -- or 1 and a new window
    WHERE key = :key AND (failures < :limit OR window_start <= :now - window)

The database serialises UPDATEs of one row (a row lock on PostgreSQL and MariaDB, the write lock
on SQLite) and re-checks the WHERE against the committed row, so of any number of concurrent
attempts at most ``limit`` match. A reserved attempt that fails simply stays counted; one that
succeeds gives its place back. The account's and the address's keys are reserved in one
transaction, so an attempt refused by either counts against neither.

An account allows ``ACCOUNT_LIMIT`` failures per window; an address allows more
(``ADDRESS_LIMIT``), so one user's typos behind an office NAT or a reverse proxy do not lock out
everyone else there. After the limit the key is refused until its window (which starts at its
first failure) is over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.orm import Session

from hostsim.db.base import table_of
from hostsim.db.models import LoginCounter
from hostsim.db.retry import retry_on_conflict

if TYPE_CHECKING:
    from hostsim.host import Host

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 30
WINDOW = timedelta(minutes=15)
KEY_LENGTH = 300


@dataclass(frozen=True)
class Reservation:
    """The outcome of :meth:`LoginThrottle.reserve`: ``wait_minutes`` is 0 when the attempt may go on."""

    username: str
    ip: str
    wait_minutes: int

    @property
    def allowed(self) -> bool:
        return self.wait_minutes == 0


class LoginThrottle:
    """At most ``account_limit`` failed logins per account and ``address_limit`` per address within ``window``."""

    def __init__(self, host: "Host", area: str, *, account_limit: int = ACCOUNT_LIMIT,
                 address_limit: int = ADDRESS_LIMIT, window: timedelta = WINDOW) -> None:
        self.host = host
        self.area = area
        self.account_limit = account_limit
        self.address_limit = address_limit
        self.window = window

    def account_key(self, username: str) -> str:
        return f"{self.area}:user:{(username or '').strip().lower()}"[:KEY_LENGTH]

    def address_key(self, ip: str) -> str:
        return f"{self.area}:ip:{ip or '?'}"[:KEY_LENGTH]

    def reserve(self, username: str, ip: str) -> Reservation:
        """Count this attempt as a failure before the password is checked (see the module doc).

        Refused (``wait_minutes`` > 0) when the account or the address has no attempt left;
        a refused attempt counts against neither.
        """
        limits = ((self.account_key(username), self.account_limit), (self.address_key(ip), self.address_limit))
        # Account keys before address keys in every transaction: two attempts never wait on
        # each other's rows in opposite orders.
        for _ in range(3):
            outcome = retry_on_conflict(lambda: self._reserve(limits))
            if outcome is not None:
                return Reservation(username, ip, outcome)
            self._create_rows([key for key, _limit in limits])
        raise RuntimeError("login counter rows vanished while reserving an attempt")

    def _reserve(self, limits: tuple[tuple[str, int], ...]) -> int | None:
        """Minutes to wait (0: reserved), or None when a key has no row yet."""
        now = self.host.clock.now()
        cutoff = now - self.window
        with self.host.sessions() as s:
            for key, limit in limits:
                expired = LoginCounter.window_start <= cutoff
                stmt = (update(LoginCounter)
                        .where(LoginCounter.key == key, (LoginCounter.failures < limit) | expired)
                        # failures first: MariaDB evaluates SET left to right, and failures'
                        # CASE must see the old window_start.
                        .ordered_values((LoginCounter.failures, case((expired, 1), else_=LoginCounter.failures + 1)),
                                        (LoginCounter.window_start, case((expired, now), else_=LoginCounter.window_start)))
                        .execution_options(synchronize_session=False))
                if s.execute(stmt).rowcount == 1:  # type: ignore[attr-defined]
                    continue
                # Read after the UPDATE: on MariaDB this first plain read of the transaction
                # sees the latest committed row.
                start = s.scalar(select(LoginCounter.window_start).where(LoginCounter.key == key))
                s.rollback()  # an attempt refused by one key counts against none
                return None if start is None else self._minutes_left(start, now)
            s.commit()
        return 0

    def _minutes_left(self, start: datetime, now: datetime) -> int:
        return max(1, math.ceil((start + self.window - now).total_seconds() / 60))

    def _create_rows(self, keys: list[str]) -> None:
        """Add a zero counter for each key, leaving rows another attempt created alone."""
        now = self.host.clock.now()
        with self.host.transaction() as s:
            s.execute(_insert_ignore(s), [{"key": key, "failures": 0, "window_start": now} for key in keys])

    def succeeded(self, reservation: Reservation) -> None:
        """A right password: the account's failures are forgotten and the address gets its place back."""
        address = self.address_key(reservation.ip)

        def work() -> None:
            with self.host.transaction() as s:
                s.execute(delete(LoginCounter).where(LoginCounter.key == self.account_key(reservation.username)))
                s.execute(update(LoginCounter).where(LoginCounter.key == address, LoginCounter.failures > 0)
                          .values(failures=LoginCounter.failures - 1).execution_options(synchronize_session=False))

        retry_on_conflict(work)


def _insert_ignore(s: Session):  # type: ignore[no-untyped-def]
    """INSERT that skips keys already present, in each backend's words."""
    table = table_of(LoginCounter)
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        return pg_insert(table).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["key"])
    return insert(table).prefix_with("IGNORE")


def prune_counters(host: "Host", window: timedelta = WINDOW) -> int:
    """Delete counters whose window is over (they count for nothing); returns how many."""
    cutoff = host.clock.now() - window
    with host.transaction() as s:
        result = s.execute(delete(LoginCounter).where(LoginCounter.window_start <= cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
