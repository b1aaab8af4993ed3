"""Outgoing mail through an outbox: the email log.

* ``queue(session, messages)`` writes the messages into the email log inside the CALLER's
  transaction: a change and the mail it causes commit together, or neither does (a rolled-back
  invoice never mails anyone, a committed one is never left without its email).
* ``deliver(ids)`` sends queued messages over SMTP after the commit; ``deliver()`` with no ids
  is the sweep that sends whatever a crash left queued. Messages are claimed in batches (one
  transaction per batch, locked rows skipped), so two processes never send the same one; the
  claim records when
  (``claimed_at``, wall clock), and only a claim older than ``STALE_CLAIM`` by the wall clock is
  taken over (its process died mid-send). Never the host clock: ``--today`` moves that by days,
  which would make every message in flight look stale and send it twice. One SMTP connection
  serves the whole batch (opened again if the server dropped it); a message that fails is
  marked failed and the others still go.
* Without SMTP configured (the embedded default) messages are kept in the log, status
  ``logged``. With SMTP: ``queued`` -> ``sending`` -> ``sent`` or ``failed`` (with the reason);
  see :class:`~hostsim.db.models.EmailStatus`.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from sqlalchemy import ColumnElement, Connection, Engine, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hostsim.db.base import table_of
from hostsim.db.bulk import insert_returning_ids
from hostsim.db.models import EmailLog, EmailStatus
from hostsim.services.smtp import SmtpConnection, build_message

if TYPE_CHECKING:
    from hostsim.host import Host
    from hostsim.services.mail_courier import Courier, ProcessCourier

log = logging.getLogger(__name__)
#: A message claimed for sending this long ago (wall clock) by a process that died is claimed again.
STALE_CLAIM = timedelta(minutes=10)
SWEEP_LIMIT = 1000
#: Messages claimed per transaction.
CLAIM_BATCH = 200
#: Messages a job expects from which its background courier is a process of its own.
COURIER_PROCESS_AT = 1000


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body_text: str
    body_html: str = ""
    client_id: int | None = None
    reply_to: str = ""  # an address the Reply-To header names (a Contact Us message's visitor)

    def check(self) -> None:
        if not self.to or "@" not in self.to or "\n" in self.to or "\r" in self.to:
            raise ValueError(f"to: {self.to!r} is not an email address")
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError("subject: must be a single line")
        if self.reply_to and ("@" not in self.reply_to or "\n" in self.reply_to or "\r" in self.reply_to):
            raise ValueError(f"reply_to: {self.reply_to!r} is not an email address")


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


class Mailer:
    def __init__(self, host: "Host", wall_clock: Callable[[], datetime] = wall_now) -> None:
        self.host = host
        self.wall_clock = wall_clock  # claims age by real time; tests may pass their own
        self._courier: "Courier | ProcessCourier | None" = None

    def send(self, to: str, subject: str, body_text: str, *, body_html: str = "",
             client_id: int | None = None) -> EmailLog:
        """Queue one message in its own transaction, deliver it, and return its log entry."""
        return self.send_many([Outgoing(to, subject, body_text, body_html, client_id)])[0]

    def send_many(self, messages: Sequence[Outgoing]) -> list[EmailLog]:
        """Queue messages in one transaction of their own, then deliver them."""
        with self.host.transaction() as s:
            ids = self.queue(s, messages)
        self.deliver(ids)
        with self.host.sessions() as s:
            return list(s.scalars(select(EmailLog).where(EmailLog.id.in_(ids)).order_by(EmailLog.id)))

    def smtp_configured(self) -> bool:
        return bool(self.host.settings.get("smtp_host"))

    def queue(self, session: Session, messages: Sequence[Outgoing]) -> list[int]:
        """Write ``messages`` into the email log in ``session`` (the caller commits); their ids."""
        for message in messages:
            message.check()
        if not messages:
            return []
        status = EmailStatus.QUEUED if self.smtp_configured() else EmailStatus.LOGGED
        now = self.host.clock.now()
        rows = [{"created_at": now, "client_id": m.client_id, "to": m.to, "subject": m.subject,
                 "body_text": m.body_text, "body_html": m.body_html, "reply_to": m.reply_to, "status": status,
                 "error": ""}
                for m in messages]
        return insert_returning_ids(session, table_of(EmailLog), rows)

    def deliver(self, ids: Sequence[int] | None = None) -> dict[str, int]:
        """Send queued messages (``ids``, or every queued one: the sweep). Counts by outcome."""
        counts = {"sent": 0, "failed": 0}
        settings = self.host.settings.all()
        if not settings["smtp_host"]:
            return counts
        if ids is None:
            ids = self._queued_ids()
        with SmtpConnection(settings) as smtp:
            self.deliver_over(ids, settings, smtp, counts)
        return counts

    def deliver_over(self, ids: Sequence[int], settings: dict[str, str], smtp: "SmtpConnection",
                     counts: dict[str, int]) -> None:
        """Send the claimable messages among ``ids`` over ``smtp``, adding to ``counts``."""
        for start in range(0, len(ids), CLAIM_BATCH):
            entries = self._claim_many(ids[start:start + CLAIM_BATCH])
            if not entries:
                continue
            # One short commit per message, so a crash can resend at most the one in flight; one
            # connection and one prepared statement for the batch (a month-end sends thousands).
            with _marking_connection(self.host.engine) as conn:
                for entry in entries:
                    status, error = self._deliver_one(entry, settings, smtp)
                    _mark(conn, {"mark_id": entry.id, "mark_status": status, "mark_error": error})
                    counts[status.value] += 1

    def deliver_after_commit(self, ids: Sequence[int]) -> None:
        """What a commit that queued ``ids`` calls: hand them to the background courier when one
        runs (:meth:`in_background`), else deliver them now."""
        courier = self._courier
        if courier is not None and courier.alive():
            courier.submit(list(ids))
        else:
            self.deliver(ids)

    @contextmanager
    def in_background(self, expected: int = 0) -> Iterator["Courier | ProcessCourier"]:
        """Within the block, mail queued by committed transactions is delivered in the background
        while the caller goes on (a month-end bills the next batch while the last one's mail goes
        out); leaving the block waits until it is sent. ``expected``: about how many messages the
        job will send; from ``COURIER_PROCESS_AT`` on, the courier is a process of its own (its
        start costs a fraction of a second, its work then leaves this process's CPU to the job),
        below it threads of this process. A process that dies first leaves the rest queued for
        the DeliverQueuedMail sweep."""
        from hostsim.services.mail_courier import Courier, ProcessCourier

        if self._courier is not None or not self.smtp_configured():
            yield self._courier or Courier(self, start=False)
            return
        courier = ProcessCourier(self) if expected >= COURIER_PROCESS_AT else Courier(self)
        self._courier = courier
        try:
            yield courier
        finally:
            self._courier = None
            courier.close()

    def _claimable(self, now: datetime) -> ColumnElement[bool]:
        """Queued, or claimed for sending longer than ``STALE_CLAIM`` ago by the wall clock (a
        claim with no time cannot be aged; the upgrade that added the column timed them all)."""
        stale_claim = EmailLog.claimed_at.is_(None) | (EmailLog.claimed_at < now - STALE_CLAIM)
        return (EmailLog.status == EmailStatus.QUEUED) | ((EmailLog.status == EmailStatus.SENDING) & stale_claim)

    def _queued_ids(self) -> list[int]:
        with self.host.sessions() as s:
            return list(s.scalars(select(EmailLog.id).where(self._claimable(self.wall_clock()))
                                  .order_by(EmailLog.id).limit(SWEEP_LIMIT)))

    def _claim_many(self, ids: Sequence[int]) -> list[Any]:
        """Claim the claimable messages among ``ids`` in one transaction; their rows.

        PostgreSQL and MariaDB lock the rows with ``FOR UPDATE SKIP LOCKED``, so two processes
        claiming overlapping batches each take the messages the other has not. SQLite ignores
        row locks, so a no-op write first takes its database write lock for the transaction."""
        if not ids:
            return []
        now = self.wall_clock()
        with self.host.transaction() as s:
            if s.get_bind().dialect.name == "sqlite":
                s.execute(update(EmailLog).where(EmailLog.id == ids[0]).values(id=EmailLog.id))
            rows = list(s.execute(
                select(EmailLog.id, EmailLog.to, EmailLog.subject, EmailLog.body_text, EmailLog.body_html,
                       EmailLog.reply_to)
                .where(EmailLog.id.in_(ids), self._claimable(now))
                .order_by(EmailLog.id).with_for_update(skip_locked=True)))
            if rows:
                s.execute(update(EmailLog).where(EmailLog.id.in_([r.id for r in rows]))
                          .values(status=EmailStatus.SENDING, claimed_at=now))
            return rows

    def _deliver_one(self, entry: Any, settings: dict[str, str], smtp: "SmtpConnection") -> tuple[EmailStatus, str]:
        message = build_message(entry, settings)
        try:
            smtp.send(settings["mail_from"], entry.to, message)
            return EmailStatus.SENT, ""
        except (OSError, smtplib.SMTPException) as exc:
            # Kept in the log as failed, with the reason; the change that caused it stands.
            log.warning("mail to %s failed: %s", entry.to, exc)
            return EmailStatus.FAILED, f"{type(exc).__name__}: {exc}"


_EMAIL_LOG = table_of(EmailLog)
#: How a sent (or failed) message is marked: built once, executed per message.
_MARK_DELIVERED = (update(_EMAIL_LOG).where(_EMAIL_LOG.c.id == bindparam("mark_id"))
                   .values(status=bindparam("mark_status"), error=bindparam("mark_error")))

#: A mark waiting for SQLite's write lock naps this many milliseconds in SQLite (1, 2, 2) between
#: tries, for ``LOCK_WAIT`` seconds at most.
LOCK_NAP_MS = 5
LOCK_WAIT = 30.0
#: One mark at a time per process on SQLite (it has one writer anyway): the courier's other
#: threads wait here, at no CPU, instead of each trying the lock.
_SQLITE_MARKS = threading.Lock()


@contextmanager
def _marking_connection(engine: Engine) -> Iterator[Connection]:
    """A connection to mark messages over. On SQLite, its busy timeout is cut to a few
    milliseconds while it marks, and ``_mark`` tries again: SQLite's own wait sleeps longer and
    longer (up to 100 ms a nap), so a courier waiting out a month-end batch's write lock would
    sleep through most of the moment between two batches, the only time it can write."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            yield conn
            return
        kept = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_NAP_MS}")
        try:
            yield conn
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(kept or 0)}")


def _mark(conn: Connection, params: dict[str, Any]) -> None:
    """Record one message's outcome in a transaction of its own (on SQLite, trying the write lock
    again every few milliseconds, one thread of the process at a time)."""
    if conn.dialect.name != "sqlite":
        conn.execute(_MARK_DELIVERED, params)
        conn.commit()
        return
    deadline = time.monotonic() + LOCK_WAIT
    with _SQLITE_MARKS:
        while True:
            try:
                conn.execute(_MARK_DELIVERED, params)
                conn.commit()
                return
            except OperationalError as exc:
                conn.rollback()
                if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                    raise
