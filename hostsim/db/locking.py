"""Row locks that work on every backend."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def get_for_update(session: Session, model: type[T], ident: Any) -> T | None:
    """Lock one row (SELECT ... FOR UPDATE on its primary key alone) and return the object.

    Locking through ``session.get`` would also lock the outer-joined eager relationships,
    which PostgreSQL refuses; SQLite ignores FOR UPDATE and serialises writers itself.
    """
    pk = inspect(model).primary_key[0]
    if session.execute(select(pk).where(pk == ident).with_for_update()).first() is None:
        return None
    return session.get(model, ident, populate_existing=True)
