"""SMTP on the wire: the MIME message of an email log entry, and one connection kept for a batch.

The outbox rules (claiming, marking, the sweep) are the mailer's (:mod:`hostsim.services.mail`);
this module only builds messages and talks to the server.
"""

from __future__ import annotations

import io
import logging
import select as socket_select
import smtplib
import ssl
import time
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20
#: A connection idle this long is checked with NOOP before it is used again (servers drop idle ones).
IDLE_CHECK = 5.0

_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def _text_part(body: str, subtype: str) -> MIMEText:
    """ASCII text as it is (7bit); anything else, or a line too long for SMTP, as UTF-8
    quoted-printable: readable in the raw message, safe on every server."""
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        return MIMEText(body, subtype, "us-ascii")
    return MIMEText(body, subtype, _UTF8_QP)  # type: ignore[arg-type]  # a Charset is accepted


def build_message(entry: Any, settings: dict[str, str]) -> Message:
    """The MIME message of an email log entry (``to``, ``subject``, ``body_text``, ``body_html``,
    ``reply_to``).

    Built with the email package's compat32 classes: the same message on the wire as the
    ``EmailMessage`` API, at a fraction of its header-parsing cost (it dominated a month-end's mail)."""
    text = _text_part(entry.body_text, "plain")
    message: Message
    if entry.body_html:
        message = MIMEMultipart("alternative")
        message.attach(text)
        message.attach(_text_part(entry.body_html, "html"))
    else:
        message = text
    message["From"] = formataddr((settings["company_name"], settings["mail_from"]), charset="utf-8")
    message["To"] = entry.to
    if entry.reply_to:
        message["Reply-To"] = entry.reply_to
    message["Subject"] = entry.subject if entry.subject.isascii() else Header(entry.subject, "utf-8").encode()
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings["mail_from"].rpartition("@")[2] or None)
    return message


class _WirePolicy(Compat32):
    """compat32 on the wire (CRLF), with a short cut for the common header: ASCII that fits on one
    line is written as it is, which is what compat32 writes for it after building a ``Header``
    object per header (that cost 70 us a message, most of flattening one)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        limit = self.max_line_length
        if (isinstance(value, str) and value.isascii() and limit and len(name) + len(value) + 2 <= limit
                and "\n" not in value and "\r" not in value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _WirePolicy(linesep="\r\n")


def _wire_bytes(message: Message) -> bytes:
    """``message`` as SMTP carries it (CRLF line ends), as ``smtplib.send_message`` flattens it."""
    out = io.BytesIO()
    BytesGenerator(out, policy=_WIRE).flatten(message, linesep="\r\n")
    return out.getvalue()


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

    def send(self, sender: str, recipient: str, message: Message) -> None:
        """Send ``message`` with the envelope given (not parsed back out of its headers)."""
        smtp = self._usable()
        try:
            smtp.sendmail(sender, [recipient], _wire_bytes(message))
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
        # Loading the CA store takes tens of milliseconds: only for a connection that uses TLS.
        context = ssl.create_default_context() if security in ("ssl", "starttls") else None
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
