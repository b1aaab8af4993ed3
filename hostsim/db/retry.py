"""Run a transaction again when the database aborted it for a conflict with another one.

Two writers that take the same keys in different orders can deadlock (MariaDB error 1213,
PostgreSQL SQLSTATE 40P01); the database then rolls one transaction back whole, so running it
again is safe. Anything else is raised at once.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
T = TypeVar("T")

MYSQL_CONFLICTS = frozenset({1213, 1205})  # deadlock, lock wait timeout
POSTGRES_CONFLICTS = frozenset({"40P01", "40001"})  # deadlock, serialization failure


def is_conflict(exc: BaseException) -> bool:
    """True when ``exc`` is a deadlock or serialization failure the database rolled back."""
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in POSTGRES_CONFLICTS:
        return True
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    return bool(args) and isinstance(args[0], int) and args[0] in MYSQL_CONFLICTS


def retry_on_conflict(work: Callable[[], T], *, attempts: int = 5, pause: float = 0.02) -> T:
    """Call ``work`` (which opens and commits its own transaction) until it is not aborted by a
    conflict, at most ``attempts`` times, with a short random pause between tries."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts or not is_conflict(exc):
                raise
            log.info("transaction aborted by a conflict (%s); trying again (%d/%d)", exc.orig, attempt, attempts)
            time.sleep(random.uniform(pause / 2, pause * 2) * attempt)
    raise AssertionError("unreachable")
