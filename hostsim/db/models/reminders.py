"""Which invoice reminder went out: one row per invoice and stage, so a stage is sent once."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base, UTCDateTime


class InvoiceReminder(Base):
    __tablename__ = "invoice_reminders"
    # The UNIQUE is the guarantee: two cron processes racing on one stage insert one row, and
    # the loser's transaction (with its queued email) rolls back.
    __table_args__ = (UniqueConstraint("invoice_id", "stage"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    #: ``reminder`` (before the due date), ``overdue1``, ``overdue2``, ``overdue3``.
    stage: Mapped[str] = mapped_column(String(20))
    #: The host day the run that sent it was as of.
    as_of: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
