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
import select as socket_select
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, Any, Callable, Sequence

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from hostsim.db.base import table_of
from hostsim.db.models import EmailLog, EmailStatus

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20
#: A message claimed for sending this long ago (wall clock) by a process that died is claimed again.
STALE_CLAIM = timedelta(minutes=10)
SWEEP_LIMIT = 1000
#: Messages claimed per transaction.
CLAIM_BATCH = 200
#: A connection idle this long is checked with NOOP before it is used again (servers drop idle ones).
IDLE_CHECK = 5.0


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body_text: str
    body_html: str = ""
    client_id: int | None = None

    def check(self) -> None:
        if not self.to or "@" not in self.to or "\n" in self.to or "\r" in self.to:
            raise ValueError(f"to: {self.to!r} is not an email address")
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError("subject: must be a single line")


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


class Mailer:
    def __init__(self, host: "Host", wall_clock: Callable[[], datetime] = wall_now) -> None:
        self.host = host
        self.wall_clock = wall_clock  # claims age by real time; tests may pass their own

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
                 "body_text": m.body_text, "body_html": m.body_html, "status": status, "error": ""}
                for m in messages]
        table = table_of(EmailLog)
        return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))

    def deliver(self, ids: Sequence[int] | None = None) -> dict[str, int]:
        """Send queued messages (``ids``, or every queued one: the sweep). Counts by outcome."""
        counts = {"sent": 0, "failed": 0}
        settings = self.host.settings.all()
        if not settings["smtp_host"]:
            return counts
        if ids is None:
            ids = self._queued_ids()
        with SmtpConnection(settings) as smtp:
            for start in range(0, len(ids), CLAIM_BATCH):
                for entry in self._claim_many(ids[start:start + CLAIM_BATCH]):
                    status, error = self._deliver_one(entry, settings, smtp)
                    # One short write per message, so a crash can resend at most the one in flight.
                    with self.host.engine.begin() as conn:
                        conn.execute(update(EmailLog).where(EmailLog.id == entry.id)
                                     .values(status=status, error=error))
                    counts[status.value] += 1
        return counts

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
                select(EmailLog.id, EmailLog.to, EmailLog.subject, EmailLog.body_text, EmailLog.body_html)
                .where(EmailLog.id.in_(ids), self._claimable(now))
                .order_by(EmailLog.id).with_for_update(skip_locked=True)))
            if rows:
                s.execute(update(EmailLog).where(EmailLog.id.in_([r.id for r in rows]))
                          .values(status=EmailStatus.SENDING, claimed_at=now))
            return rows

    def _deliver_one(self, entry: Any, settings: dict[str, str], smtp: "SmtpConnection") -> tuple[EmailStatus, str]:
        message = EmailMessage()
        message["From"] = formataddr((settings["company_name"], settings["mail_from"]))
        message["To"] = entry.to
        message["Subject"] = entry.subject
        message["Message-ID"] = make_msgid(domain=settings["mail_from"].rpartition("@")[2] or None)
        message.set_content(entry.body_text)
        if entry.body_html:
            message.add_alternative(entry.body_html, subtype="html")
        try:
            smtp.send(message)
            return EmailStatus.SENT, ""
        except (OSError, smtplib.SMTPException) as exc:
            # Kept in the log as failed, with the reason; the change that caused it stands.
            log.warning("mail to %s failed: %s", entry.to, exc)
            return EmailStatus.FAILED, f"{type(exc).__name__}: {exc}"


class SmtpConnection:
    """One SMTP connection for a batch of messages: opened (and authenticated) at the first
    message, opened again when the server hung up (seen without a round trip: the socket turned
    readable) or, after it sat idle, when NOOP fails; closed at the end of the batch. A burst of
    messages pays no extra round trip per message.

    A refused message (sender, recipients, data) leaves the connection usable: smtplib resets
    the transaction. Any other error may have left it mid-command, so it is dropped and the
    next message gets a fresh one.
    """

    def __init__(self, settings: dict[str, str]) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0

    def __enter__(self) -> "SmtpConnection":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        smtp = self._usable()
        try:
            smtp.send_message(message)
            self._last_used = time.monotonic()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # refused, and smtplib reset the transaction: the connection serves the next one
        except BaseException:
            self._drop()
            raise

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the batch is done; a server that hung up first is no failure
        finally:
            self._drop()

    def _usable(self) -> smtplib.SMTP:
        if self._smtp is not None:
            if not self._hung_up() and time.monotonic() - self._last_used < IDLE_CHECK:
                return self._smtp
            try:
                alive = not self._hung_up() and self._smtp.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if alive:
                return self._smtp
            log.info("the SMTP server dropped the connection; connecting again")
            self._drop()
        self._smtp = self._connect()
        return self._smtp

    def _hung_up(self) -> bool:
        """Whether the server closed the connection (or said why it will): between two messages
        a healthy SMTP connection has nothing to read, so a readable socket means EOF or a 421."""
        sock = self._smtp.sock if self._smtp is not None else None
        if sock is None:
            return True
        try:
            readable, _, _ = socket_select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host, port, security = settings["smtp_host"], int(settings["smtp_port"] or 25), settings["smtp_security"]
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        try:
            smtp.ehlo()
            if security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings["smtp_username"]:
                smtp.login(settings["smtp_username"], settings["smtp_password"])
        except BaseException:
            smtp.close()
            raise
        return smtp
