"""Outgoing mail: every message goes to the email log; SMTP delivers it when configured.

Callers send after their transaction commits, so a rolled-back change never mails anyone.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING

from hostsim.db.models import EmailLog

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20


class Mailer:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def send(self, to: str, subject: str, body_text: str, *, body_html: str = "",
             client_id: int | None = None) -> EmailLog:
        """Record the message, deliver it if SMTP is configured, and return its log entry."""
        if not to or "@" not in to or "\n" in to or "\r" in to:
            raise ValueError(f"to: {to!r} is not an email address")
        if "\n" in subject or "\r" in subject:
            raise ValueError("subject: must be a single line")
        settings = self.host.settings.all()
        with self.host.transaction() as s:
            entry = EmailLog(created_at=self.host.clock.now(), client_id=client_id, to=to, subject=subject,
                             body_text=body_text, body_html=body_html, status="logged")
            s.add(entry)
        if not settings["smtp_host"]:
            return entry
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
        return entry

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
