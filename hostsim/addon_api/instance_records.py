"""What an :class:`hostsim.addon_api.instance.Instance` reports: its first admin, the email log,
cron runs and payments, as plain values (imported from ``hostsim.addon_api.instance``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class AdminLogin:
    """The first admin of a new instance. The password is generated and exists only here (the
    database keeps its hash): show it once, never log it."""

    username: str
    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class SentEmail:
    """One message of the host's email log (sent, or only logged when no SMTP is configured)."""

    id: int
    created_at: datetime
    to: str
    subject: str
    body_text: str
    client_id: int | None


@dataclass(frozen=True)
class CronTaskRun:
    """What one cron invocation did with one task. ``status``: success, failed, locked (another
    process holds the task) or not-due; ``run_id`` is its ``CronRun`` row when it ran."""

    name: str
    status: str
    counters: dict[str, Any]
    error: str
    run_id: int | None

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class RecordedPayment:
    """A payment recorded on an invoice: how much, and whether it made the invoice Paid."""

    invoice_id: int
    amount: Decimal
    paid: bool


@dataclass(frozen=True)
class InvoicePayment:
    """Money put on an invoice: a payment (a gateway's or one an admin recorded) or account
    credit applied to it. ``method`` is the key (``banktransfer``, ``credit``), ``method_name``
    the human name ("Bank Transfer", "Credit")."""

    invoice_id: int
    client_id: int
    method: str
    method_name: str
    amount: Decimal
    date: datetime
    transaction_id: str
