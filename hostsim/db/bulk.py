"""Inserting many rows and getting their new ids back in the rows' order, in a few statements on
every backend.

PostgreSQL and MariaDB take the rows in a few multi-row ``INSERT ... RETURNING`` statements
(SQLAlchemy's "insertmanyvalues", sorted by parameter order). On SQLite SQLAlchemy cannot promise
that order for a multi-row statement and sends one statement per row: 50,000 of them in a
10,000-client month-end, each of which gives up the interpreter lock to SQLite and waits to get it
back from the run's fetching threads. There the first row is inserted alone, which takes the
database's single write lock and names its id, and the others follow in one executemany with
the next ids given explicitly: SQLite gives a new row one more than the largest id in use (or
than the AUTOINCREMENT sequence, never below it), so every id after the first one's is free,
and no other writer can take one before this transaction ends.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_returning_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` (its primary key ``id``, generated) in ``session``; their
    new ids, in the rows' order."""
    if not rows:
        return []
    id_column = table.c.id
    if session.get_bind().dialect.name != "sqlite":
        return list(session.scalars(insert(table).returning(id_column, sort_by_parameter_order=True), rows))
    first = session.scalars(insert(table).returning(id_column), [rows[0]]).one()
    rest = [{**row, "id": first + n} for n, row in enumerate(rows[1:], 1)]
    if rest:
        session.execute(insert(table), rest)
    return [first, *(row["id"] for row in rest)]
