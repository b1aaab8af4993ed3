"""What happened: the email log and the admin activity log."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base, UTCDateTime
from hostsim.db.types import str_enum


class EmailStatus(enum.StrEnum):
    """Where a message is in the outbox (see :mod:`hostsim.services.mail`). A StrEnum:
    ``str()`` and f-strings give the value, as the plain strings it replaced did."""

    LOGGED = "logged"  # kept in the log only: no SMTP configured
    QUEUED = "queued"  # waiting for delivery
    SENDING = "sending"  # claimed by one process for delivery
    SENT = "sent"
    FAILED = "failed"  # ``error`` says why


class EmailLog(Base):
    __tablename__ = "email_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), nullable=True, index=True)
    to: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: Where a reply goes when not to the sender (a Contact Us message: the visitor); "" otherwise.
    reply_to: Mapped[str] = mapped_column(String(255), default="", server_default="")
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus), default=EmailStatus.LOGGED)
    error: Mapped[str] = mapped_column(Text, default="")
    #: When a process claimed it for sending (wall clock, never the host clock ``--today`` moves).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ActivityLog(Base):
    __tablename__ = "activity_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(255), default="System")
    admin_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text)
