"""The overdue lifecycle as a pure decision: which status a SolusIO user should have today.

Lock the user when one of its addon invoices is still unpaid ``lock_days`` after its due date,
suspend after ``suspend_days``; active again once nothing is overdue. Cancelled (and paid or
refunded) invoices do not count; Collections still does (the money is still owed). An exempt
client is never locked or suspended automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from solusio_addon.db.models import EnrolmentStatus


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: int
    due_date: date


@dataclass(frozen=True, slots=True)
class Decision:
    status: EnrolmentStatus
    invoice_id: int | None  # the overdue invoice behind a lock or suspension
    reason: str


#: What most clients get: one object for all of them (a reconcile holds one per enrolment).
NOTHING_OVERDUE = Decision(EnrolmentStatus.ACTIVE, None, "no overdue invoice")


def lock_date(due_date: date, lock_days: int) -> date:
    """The first day an invoice due on ``due_date`` and still owed locks its SolusIO user."""
    return due_date + timedelta(days=lock_days)


def suspend_date(due_date: date, suspend_days: int) -> date:
    """The first day an invoice due on ``due_date`` and still owed suspends its SolusIO user."""
    return due_date + timedelta(days=suspend_days)


def decide(today: date, open_invoices: Iterable[OpenInvoice], *, lock_days: int, suspend_days: int,
           exempt: bool) -> Decision:
    overdue = sorted((i for i in open_invoices if i.due_date < today), key=lambda i: (i.due_date, i.invoice_id))
    if not overdue:
        return NOTHING_OVERDUE
    oldest = overdue[0]
    late = (today - oldest.due_date).days
    if exempt:
        return Decision(EnrolmentStatus.ACTIVE, None, f"exempt (invoice #{oldest.invoice_id} {late} days overdue)")
    if today >= suspend_date(oldest.due_date, suspend_days):
        return Decision(EnrolmentStatus.SUSPENDED, oldest.invoice_id,
                        f"invoice #{oldest.invoice_id} {late} days overdue (suspend after {suspend_days})")
    if today >= lock_date(oldest.due_date, lock_days):
        return Decision(EnrolmentStatus.LOCKED, oldest.invoice_id,
                        f"invoice #{oldest.invoice_id} {late} days overdue (lock after {lock_days})")
    return Decision(EnrolmentStatus.ACTIVE, None,
                    f"invoice #{oldest.invoice_id} {late} days overdue, within {lock_days} days")
