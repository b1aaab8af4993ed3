"""Invoice payment reminders and overdue notices (WHMCS's automation), each sent once.

For every Unpaid invoice with a balance, the daily cron task ``SendInvoiceReminders`` picks the
one stage that is due as of the run's day, when it is on (its days are not 0):

* ``reminder``: from ``invoice_reminder_days`` before the due date up to the due date itself;
* ``overdue1/2/3``: from ``overdue_*_days`` after the due date, the latest of those whose day has
  come. A run that missed days (a catch-up) sends only that latest notice: an earlier one that
  was never sent is not sent late, after a later one.

A stage is sent once: its row in ``invoice_reminders`` (UNIQUE invoice + stage) and its email in
the outbox commit in one transaction, so a re-run, a catch-up or a second cron process never
sends it twice (a racing insert fails and its email rolls back with it). A stage is also done
once a later stage went out (no reminder after an overdue notice, no first after the second).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hostsim.db.models import Invoice, InvoiceReminder, InvoiceStatus, Payment
from hostsim.services.automation_settings import STAGES, Stage

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)
STAGE_ORDER = {stage.name: n for n, stage in enumerate(STAGES)}


@dataclass(frozen=True)
class Schedule:
    """The stages that are on, with their days (from the settings)."""

    stages: tuple[tuple[Stage, int], ...]

    @classmethod
    def from_settings(cls, values: dict[str, str]) -> "Schedule":
        return cls(tuple((stage, int(values[stage.key])) for stage in STAGES if int(values[stage.key]) > 0))

    def due_stage(self, due_date: dt.date, today: dt.date) -> Stage | None:
        """The stage an invoice due on ``due_date`` is at as of ``today``, if any."""
        found = None
        for stage, days in self.stages:
            if stage.before_due and due_date - dt.timedelta(days=days) <= today <= due_date:
                found = stage
            elif not stage.before_due and today >= due_date + dt.timedelta(days=days):
                found = stage  # later overdue stages come later in STAGES: the last one wins
        return found

    def earliest_due_date(self, today: dt.date) -> dt.date | None:
        """No invoice due before this can be at a stage; None: every stage is off."""
        if not self.stages:
            return None
        return min(today if stage.before_due else today - dt.timedelta(days=days) for stage, days in self.stages)

    def latest_due_date(self, today: dt.date) -> dt.date:
        """No invoice due after this can be at a stage."""
        before = [days for stage, days in self.stages if stage.before_due]
        return today + dt.timedelta(days=max(before)) if before else today


class InvoiceReminders:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def candidates(self, today: dt.date, schedule: Schedule) -> list[tuple[int, Stage]]:
        """(invoice id, stage) for the Unpaid invoices with a balance at a stage not yet sent."""
        earliest = schedule.earliest_due_date(today)
        if earliest is None:
            return []
        latest = schedule.latest_due_date(today)
        paid = (select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == Invoice.id)
                .scalar_subquery())
        with self.host.sessions() as s:
            rows = s.execute(
                select(Invoice.id, Invoice.due_date, Invoice.total, Invoice.credit, paid)
                .where(Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date <= latest)
                .order_by(Invoice.id)).all()
            ids = [r[0] for r in rows]
            sent: dict[int, int] = {}
            for chunk in _chunks(ids, 500):
                for invoice_id, name in s.execute(select(InvoiceReminder.invoice_id, InvoiceReminder.stage)
                                                  .where(InvoiceReminder.invoice_id.in_(chunk))):
                    sent[invoice_id] = max(sent.get(invoice_id, -1), STAGE_ORDER.get(name, -1))
        found: list[tuple[int, Stage]] = []
        for invoice_id, due_date, total, credit, paid_amount in rows:
            if total - credit - Decimal(str(paid_amount)) <= 0:
                continue  # nothing left to pay
            due = schedule.due_stage(due_date, today)
            if due is not None and STAGE_ORDER[due.name] > sent.get(invoice_id, -1):
                found.append((invoice_id, due))
        return found

    def send_one(self, invoice_id: int, stage: Stage, today: dt.date) -> bool:
        """Record and queue one stage of one invoice; False when it was sent already (elsewhere)."""
        try:
            with self.host.transaction() as s:
                invoice = s.get(Invoice, invoice_id)
                if invoice is None or invoice.status is not InvoiceStatus.UNPAID:
                    return False  # paid or cancelled since the candidates were read
                s.add(InvoiceReminder(invoice_id=invoice_id, stage=stage.name, as_of=today,
                                      created_at=self.host.clock.now()))
                s.flush()  # the UNIQUE answers here, before the email is queued
                messages = self.host.invoices.notice_emails([invoice_id], stage.template, stage.subject, session=s)
                ids = self.host.mail.queue(s, messages)
                self.host.activity.log(f"{stage.subject.format(id=invoice_id, company='')} sent",
                                       client_id=invoice.client_id, session=s)
        except IntegrityError:
            return False  # another process recorded this stage first; its email is the one
        self.host.mail.deliver(ids)
        return True

    def run(self, today: dt.date, progress: Callable[[list[tuple[int, Stage]]], Iterable[tuple[int, Stage]]]
            | None = None) -> dict[str, int]:
        schedule = Schedule.from_settings(self.host.settings.all())
        todo = self.candidates(today, schedule)
        counts = {stage.name: 0 for stage in STAGES}
        counts["skipped"] = 0
        for invoice_id, stage in (progress(todo) if progress else todo):
            if self.send_one(invoice_id, stage, today):
                counts[stage.name] += 1
            else:
                counts["skipped"] += 1
        return counts


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
