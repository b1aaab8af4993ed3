"""Background delivery for a long job: threads for a small one, a process of its own for a large
one (so building and sending thousands of messages does not take the job's CPU); a courier
process that dies loses no message."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import select

from hostsim.db.models import EmailLog, EmailStatus
from hostsim.services.mail import COURIER_PROCESS_AT, Outgoing
from hostsim.services.mail_courier import Courier, ProcessCourier
from tests.host.test_mail import smtp_server  # noqa: F401  # the real SMTP server fixture


def configure_smtp(host, port: int) -> None:
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none",
                            "company_name": "Acme Cloud", "mail_from": "billing@acme.test"})


def commit_batch(host, first: int, count: int) -> list[int]:
    """One committed transaction queueing ``count`` messages, as a month-end batch does."""
    with host.transaction() as s:
        return host.addon_api.mail.queue(s, [Outgoing(f"client{n}@example.com", f"Invoice #{n}", "Pay me")
                                            for n in range(first, first + count)])


def statuses(host) -> dict[str, str]:
    with host.sessions() as s:
        return {subject: status.value for subject, status in s.execute(select(EmailLog.subject, EmailLog.status))}


def test_a_large_job_is_mailed_by_a_courier_process_each_message_once(host, smtp_server):  # noqa: F811
    controller, inbox = smtp_server
    configure_smtp(host, controller.port)
    with host.mail.in_background(COURIER_PROCESS_AT) as courier:
        assert isinstance(courier, ProcessCourier)
        assert courier.alive()
        for first in (0, 4, 8):
            commit_batch(host, first, 4)
    assert courier.counts == {"sent": 12, "failed": 0}  # reported back by the process
    assert sorted(m["Subject"] for m in inbox.messages) == sorted(f"Invoice #{n}" for n in range(12))
    assert set(statuses(host).values()) == {EmailStatus.SENT.value}
    assert host.mail.deliver() == {"sent": 0, "failed": 0}  # nothing left for the sweep


def test_a_small_job_is_mailed_by_threads_of_its_own_process(host, smtp_server):  # noqa: F811
    controller, inbox = smtp_server
    configure_smtp(host, controller.port)
    with host.mail.in_background(COURIER_PROCESS_AT - 1) as courier:
        assert isinstance(courier, Courier)
        commit_batch(host, 0, 3)
    assert courier.counts == {"sent": 3, "failed": 0}
    assert len(inbox.messages) == 3


def wait_until_dead(courier: ProcessCourier) -> None:
    for _ in range(200):
        if not courier.alive():
            return
        time.sleep(0.05)
    raise AssertionError("the courier process did not die")


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")
def test_a_courier_process_that_dies_loses_nothing(host, smtp_server):  # noqa: F811
    """Messages handed to the process before it died stay queued for the sweep; later commits
    are delivered by the job's own process; every message arrives once."""
    controller, inbox = smtp_server
    configure_smtp(host, controller.port)
    with host.mail.in_background(COURIER_PROCESS_AT) as courier:
        assert isinstance(courier, ProcessCourier)
        pid = courier._process.pid
        assert pid and pid != os.getpid()
        os.kill(pid, signal.SIGSTOP)  # it cannot claim anything from here on
        commit_batch(host, 0, 2)  # handed to the stopped process
        os.kill(pid, signal.SIGKILL)
        wait_until_dead(courier)
        commit_batch(host, 2, 2)  # delivered here, at the commit
        assert statuses(host) == {"Invoice #0": "queued", "Invoice #1": "queued",
                                  "Invoice #2": "sent", "Invoice #3": "sent"}
    assert courier.counts == {"sent": 0, "failed": 0}
    assert host.mail.deliver() == {"sent": 2, "failed": 0}  # the DeliverQueuedMail sweep
    assert sorted(m["Subject"] for m in inbox.messages) == [f"Invoice #{n}" for n in range(4)]
    assert set(statuses(host).values()) == {"sent"}



def test_marks_wait_out_another_writers_sqlite_lock_by_polling(host):
    """SQLite has one writer at a time: while a month-end batch holds the lock, a courier's
    mark polls for it (SQLite's own wait naps up to 100 ms and sleeps through the gaps between
    batches) and is recorded once the lock is free; the connection gets its busy timeout back."""
    import sqlite3
    import threading

    from hostsim.services.mail import LOCK_NAP_MS, _mark, _marking_connection

    if host.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock; the server backends lock rows")
    with host.transaction() as s:
        [message_id] = host.mail.queue(s, [Outgoing("ann@example.com", "Invoice #1", "x")])
    other = sqlite3.connect(host.engine.url.database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock...
    released = threading.Event()

    def release() -> None:
        released.set()
        other.execute("COMMIT")  # ...for a moment

    timer = threading.Timer(0.3, release)
    with _marking_connection(host.engine) as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == LOCK_NAP_MS  # not SQLite's long wait
        timer.start()
        _mark(conn, {"mark_id": message_id, "mark_status": EmailStatus.SENT, "mark_error": ""})
        assert released.is_set()  # written only once the other writer let go
        assert conn.exec_driver_sql("SELECT status FROM email_log").scalar() == "sent"
    timer.join()
    other.close()
    with host.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
