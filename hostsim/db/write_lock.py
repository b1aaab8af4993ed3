"""A row lock that also holds on SQLite, for read-check-write steps such as spending credit.

``SELECT ... FOR UPDATE`` locks the row on PostgreSQL and MariaDB and reads its latest committed
version. SQLite ignores FOR UPDATE, and its driver opens the transaction only at the first write,
so a read before it could be stale by the time the write lands: there a no-op UPDATE of the row
comes first, taking the database's write lock before anything is read.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session, lazyload

T = TypeVar("T")


def lock_for_write(session: Session, model: type[T], ident: Any) -> T | None:
    """Lock one row for the rest of the transaction and return it, read afresh (None if absent)."""
    pk = inspect(model).primary_key[0]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(pk == ident).values({pk.key: pk}))  # type: ignore[arg-type]
    # The row itself is read by the locking SELECT: under MariaDB's REPEATABLE READ a plain read
    # after the lock would see the transaction's older snapshot, not the value just locked.
    # No eager joins: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    statement = (select(model).where(pk == ident).with_for_update().options(lazyload("*"))  # type: ignore[arg-type]
                 .execution_options(populate_existing=True))
    return session.scalars(statement).first()
