"""Outgoing mail: every message goes to the email log; SMTP delivers it when configured.

Callers send after their transaction commits, so a rolled-back change never mails anyone.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from sqlalchemy import insert

from hostsim.db.models import EmailLog

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20


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


class Mailer:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def send(self, to: str, subject: str, body_text: str, *, body_html: str = "",
             client_id: int | None = None) -> EmailLog:
        """Record the message, deliver it if SMTP is configured, and return its log entry."""
        return self.send_many([Outgoing(to, subject, body_text, body_html, client_id)])[0]

    def send_many(self, messages: Sequence[Outgoing]) -> list[EmailLog]:
        """Record several messages in one transaction, then deliver each (a billing run mails
        thousands of invoices: one commit for all of them, not one each)."""
        for message in messages:
            message.check()
        if not messages:
            return []
        settings = self.host.settings.all()
        now = self.host.clock.now()
        rows = [{"created_at": now, "client_id": m.client_id, "to": m.to, "subject": m.subject,
                 "body_text": m.body_text, "body_html": m.body_html, "status": "logged", "error": ""}
                for m in messages]
        with self.host.transaction() as s:
            ids = s.scalars(insert(EmailLog.__table__).returning(EmailLog.id, sort_by_parameter_order=True),
                            rows).all()
        entries = [EmailLog(id=i, **row) for i, row in zip(ids, rows)]
        if settings["smtp_host"]:
            for entry in entries:
                self._deliver_logged(entry, settings)
        return entries

    def _deliver_logged(self, entry: EmailLog, settings: dict[str, str]) -> None:
        to, subject, body_text, body_html = entry.to, entry.subject, entry.body_text, entry.body_html
        message = EmailMessage()
        message["From"] = formataddr((settings["company_name"], settings["mail_from"]))
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=settings["mail_from"].rpartition("@")[2] or None)
        message.set_content(body_text)
        if body_html:
            message.add_alternative(body_html, subtype="html")
        try:
            self._deliver(message, settings)
            status, error = "sent", ""
        except (OSError, smtplib.SMTPException) as exc:
            # Kept in the log as failed, with the reason; the caller's change stands.
            log.warning("mail to %s failed: %s", to, exc)
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        with self.host.transaction() as s:
            row = s.get(EmailLog, entry.id)
            assert row is not None
            row.status, row.error = status, error
        entry.status, entry.error = status, error

    def _deliver(self, message: EmailMessage, settings: dict[str, str]) -> None:
        host, port, security = settings["smtp_host"], int(settings["smtp_port"] or 25), settings["smtp_security"]
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with smtp:
            smtp.ehlo()
            if security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings["smtp_username"]:
                smtp.login(settings["smtp_username"], settings["smtp_password"])
            smtp.send_message(message)
