"""Warnings before the lock and the suspension: the daily ``SolusioStatusWarnings`` task emails a
client N days (the Post-Pay tab's settings; 0: never) before an invoice still owed would lock or
suspend their SolusIO user, naming the date and the invoice, with a link to pay it.

The dates are the overdue rules' own (:func:`~solusio_addon.billing.overdue.lock_date` and
``suspend_date``, which :func:`~solusio_addon.billing.overdue.decide` applies). A warning goes out
only before its date (a run that comes after it sends none: the lock email tells the rest), to
an enrolled client who is not exempt and not yet at that stage (no lock warning once locked).
Each warning is sent once: its row (UNIQUE invoice + stage) and its email in the host's outbox
commit in one transaction, so a re-run or a second process never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hostsim.addon_api import Client, CronContext, Invoice, Outgoing, format_date, format_money
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.warning_settings import load_warnings
from solusio_addon.billing.lifecycle import open_addon_invoices
from solusio_addon.billing.overdue import lock_date, suspend_date
from solusio_addon.db.models import Enrolment, EnrolmentStatus, StatusWarning

if TYPE_CHECKING:
    from hostsim.addon_api import Host

TASK_NAME = "SolusioStatusWarnings"
SUBJECTS = {"lock": "Your cloud account will be locked on {day}",
            "suspend": "Your cloud servers will be suspended on {day}"}
#: Which enrolment statuses a stage can still warn about.
WARNABLE = {"lock": (EnrolmentStatus.ACTIVE,), "suspend": (EnrolmentStatus.ACTIVE, EnrolmentStatus.LOCKED)}


@dataclass(frozen=True)
class DueWarning:
    client_id: int
    invoice_id: int
    stage: str  # lock | suspend
    effective_on: date


def due_warnings(host: "Host", today: date) -> list[DueWarning]:
    """The warnings to send as of ``today`` that were not sent yet, by invoice."""
    pp, warn = addon_settings.load_postpay(host), load_warnings(host)
    ahead = {"lock": warn.lock_warning_days, "suspend": warn.suspend_warning_days}
    if not any(ahead.values()):
        return []
    with host.sessions() as s:
        enrolled = {cid: status for cid, status in s.execute(
            select(Enrolment.client_id, Enrolment.status)
            .where(Enrolment.status.in_([EnrolmentStatus.ACTIVE, EnrolmentStatus.LOCKED]),
                   Enrolment.exempt_from_overdue.is_(False), Enrolment.solusio_user_id.is_not(None)))}
    found: list[DueWarning] = []
    for client_id, invoices in open_addon_invoices(host, sorted(enrolled)).items():
        for invoice in invoices:
            dates = {"lock": lock_date(invoice.due_date, pp.lock_days),
                     "suspend": suspend_date(invoice.due_date, pp.suspend_days)}
            for stage, days in ahead.items():
                day = dates[stage]
                if stage == "lock" and day >= dates["suspend"]:
                    continue  # locked and suspended the same day: the suspension warning says it
                if days and enrolled[client_id] in WARNABLE[stage] and (day - today).days in range(1, days + 1):
                    found.append(DueWarning(client_id, invoice.invoice_id, stage, day))
    if not found:
        return []
    with host.sessions() as s:
        sent = {(invoice_id, stage) for invoice_id, stage in s.execute(
            select(StatusWarning.invoice_id, StatusWarning.stage)
            .where(StatusWarning.invoice_id.in_({w.invoice_id for w in found})))}
    return sorted((w for w in found if (w.invoice_id, w.stage) not in sent), key=lambda w: (w.invoice_id, w.stage))


def send_warning(host: "Host", warning: DueWarning) -> bool:
    """Record and queue one warning; False when it was recorded already (by another run)."""
    try:
        with host.transaction() as s:
            s.add(StatusWarning(invoice_id=warning.invoice_id, client_id=warning.client_id, stage=warning.stage,
                                effective_on=warning.effective_on, created_at=host.clock.now()))
            s.flush()  # the UNIQUE answers before anything is queued
            client = s.get(Client, warning.client_id)
            invoice = s.get(Invoice, warning.invoice_id)
            assert client is not None and invoice is not None
            body = host.templates.render(
                "solusio", f"emails/{warning.stage}_warning.txt", first_name=client.first_name,
                invoice_id=invoice.id, due_date=invoice.due_date, day=warning.effective_on,
                total=format_money(invoice.total, invoice.currency.code), company=host.settings.get("company_name"),
                pay_url=f"{host.base_url.rstrip('/')}/clientarea/invoices/{invoice.id}")
            subject = SUBJECTS[warning.stage].format(day=format_date(warning.effective_on))
            host.mail.queue(s, [Outgoing(client.email, subject, body, client_id=client.id)])
            host.activity.log(f"Addon solusio: {warning.stage} warning for invoice #{invoice.id} "
                              f"({warning.effective_on.isoformat()}) emailed", client_id=client.id, session=s)
    except IntegrityError:
        return False
    return True


def run_warnings(host: "Host", ctx: CronContext) -> None:
    """The body of SolusioStatusWarnings (``hostsim cron do --SolusioStatusWarnings -v``)."""
    todo = due_warnings(host, ctx.today)
    counts = {"lock": 0, "suspend": 0, "skipped": 0}
    for warning in ctx.progress(todo, len(todo), "Warnings"):
        if send_warning(host, warning):
            counts[warning.stage] += 1
        else:
            counts["skipped"] += 1
    ctx.counters.update(counts)
    ctx.say(1, f"{TASK_NAME}: {counts['lock']} lock and {counts['suspend']} suspension warning(s) sent")
