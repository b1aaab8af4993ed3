"""Many rows inserted with their new ids back in the rows' order, on every backend (on SQLite,
in two statements whatever the number of rows)."""

from __future__ import annotations

from sqlalchemy import delete, event, select

from hostsim.db.base import table_of
from hostsim.db.bulk import insert_returning_ids
from hostsim.db.models import EmailLog, EmailStatus


def rows(host, first: int, count: int) -> list[dict]:
    return [{"created_at": host.clock.now(), "client_id": None, "to": f"c{n}@example.com", "subject": f"#{n}",
             "body_text": "x", "body_html": "", "reply_to": "", "status": EmailStatus.LOGGED, "error": ""}
            for n in range(first, first + count)]


def subjects_by_id(host) -> dict[int, str]:
    with host.sessions() as s:
        return dict(s.execute(select(EmailLog.id, EmailLog.subject)).all())


def test_each_row_gets_its_own_id_in_order_after_existing_and_deleted_rows(host):
    table = table_of(EmailLog)
    with host.transaction() as s:
        before = insert_returning_ids(s, table, rows(host, 0, 5))
    with host.transaction() as s:
        s.execute(delete(table).where(table.c.id == before[-1]))  # the largest id is free again
    statements: list[str] = []
    event.listen(host.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with host.transaction() as s:
        ids = insert_returning_ids(s, table, rows(host, 5, 300))
    assert len(ids) == len(set(ids)) == 300 and ids == sorted(ids) and ids[0] > max(before[:-1])
    stored = subjects_by_id(host)
    assert [stored[i] for i in ids] == [f"#{n}" for n in range(5, 305)]  # each id names its own row
    inserts = [sql for sql in statements if sql.lstrip().upper().startswith("INSERT")]
    if host.engine.dialect.name == "sqlite":
        assert len(inserts) == 2  # the first row alone, then the rest in one executemany
    with host.transaction() as s:
        assert insert_returning_ids(s, table, []) == []


def test_a_failed_transaction_leaves_no_row(host):
    table = table_of(EmailLog)
    try:
        with host.transaction() as s:
            insert_returning_ids(s, table, rows(host, 0, 50))
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    assert subjects_by_id(host) == {}
