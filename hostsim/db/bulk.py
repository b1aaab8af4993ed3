"""Inserting many rows and getting their new ids back in the rows' order, in a few statements on
every backend.

MariaDB takes the rows in a few multi-row ``INSERT ... RETURNING`` statements (SQLAlchemy's
"insertmanyvalues", sorted by parameter order); PostgreSQL in one statement with one array per
column (``_postgresql`` says why). On SQLite SQLAlchemy cannot promise
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

from sqlalchemy import Table, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def insert_returning_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table`` (its primary key ``id``,
    generated) in ``session``; their new ids, in the rows' order."""
    if not rows:
        return []
    id_column = table.c.id
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _postgresql(session, table, rows)
    if dialect != "sqlite":
        return list(session.scalars(insert(table).returning(id_column, sort_by_parameter_order=True), rows))
    first = session.scalars(insert(table).returning(id_column), [rows[0]]).one()
    rest = [{**row, "id": first + n} for n, row in enumerate(rows[1:], 1)]
    if rest:
        session.execute(insert(table), rest)
    return [first, *(row["id"] for row in rest)]


def _postgresql(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """One statement with one array per column: ``INSERT ... SELECT ... FROM unnest(...) WITH
    ORDINALITY ORDER BY ordinality RETURNING id``. The multi-row VALUES statement SQLAlchemy
    writes names every value, and psycopg parses each such statement afresh (it caches short
    ones only): that parsing took 40% of a month-end's CPU. The ids are drawn in the order
    the rows are inserted, so sorted they follow the rows (as SQLAlchemy's own sorted RETURNING
    assumes for a generated key)."""
    names = list(rows[0])
    arrays = [cast(bindparam(f"bulk_{name}", type_=ARRAY(table.c[name].type)), ARRAY(table.c[name].type))
              for name in names]
    source = func.unnest(*arrays).table_valued(*names, with_ordinality="bulk_position").render_derived(name="bulk")
    statement = (insert(table).from_select(names, select(*(source.c[name] for name in names))
                                           .order_by(source.c.bulk_position))
                 .returning(table.c.id))
    values = {f"bulk_{name}": [row[name] for row in rows] for name in names}
    return sorted(session.scalars(statement, values))
