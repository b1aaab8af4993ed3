"""The host's own cron tasks (real housekeeping, registered beside the addons' tasks)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from hostsim.cron.context import CronContext, CronTaskSpec
from hostsim.db.models import LoginFailure

if TYPE_CHECKING:
    from hostsim.host import Host

#: Failed logins older than this no longer count towards throttling.
LOGIN_FAILURE_RETENTION = timedelta(days=1)


def prune_login_failures(host: "Host", ctx: CronContext) -> None:
    """Expired web sessions (by real time) and failed-login records of the earlier schema."""
    from hostsim.services.sessions import prune_expired

    cutoff = host.clock.now() - LOGIN_FAILURE_RETENTION
    with host.transaction() as s:
        result = s.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
    deleted = getattr(result, "rowcount", 0) or 0
    sessions = prune_expired(host)
    ctx.counters.update({"deleted": deleted, "sessions": sessions})
    ctx.say(2, f"PruneLoginFailures: deleted {deleted} login failure(s) older than {cutoff:%Y-%m-%d %H:%M} UTC "
               f"and {sessions} expired session(s)")


def deliver_queued_mail(host: "Host", ctx: CronContext) -> None:
    """The outbox sweep: send what a crash (or an SMTP outage) left queued in the email log."""
    counts = host.mail.deliver()
    ctx.counters.update(counts)
    ctx.say(1, f"DeliverQueuedMail: {counts['sent']} sent, {counts['failed']} failed")


def send_invoice_reminders(host: "Host", ctx: CronContext) -> None:
    """Payment reminders and overdue notices as of the run's day, each stage once per invoice."""
    from hostsim.services.reminders import InvoiceReminders

    counts = InvoiceReminders(host).run(ctx.today, progress=lambda todo: ctx.progress(todo, len(todo), "Reminders"))
    ctx.counters.update(counts)
    ctx.say(1, f"SendInvoiceReminders: {counts['reminder']} reminder(s), {counts['overdue1']} first, "
               f"{counts['overdue2']} second and {counts['overdue3']} third overdue notice(s) sent"
               + (f", {counts['skipped']} already sent elsewhere" if counts["skipped"] else ""))


def builtin_tasks(host: "Host") -> list[CronTaskSpec]:
    return [
        CronTaskSpec(
            name="DeliverQueuedMail",
            run=lambda ctx: deliver_queued_mail(host, ctx),
            description="Send email left queued in the email log (after a crash or an SMTP outage)",
            frequency_minutes=5,
            priority=10,
            module="hostsim",
        ),
        CronTaskSpec(
            name="SendInvoiceReminders",
            run=lambda ctx: send_invoice_reminders(host, ctx),
            description="Email invoice payment reminders and overdue notices (Automation settings), each once",
            frequency_minutes=1440,
            priority=30,
            module="hostsim",
        ),
        CronTaskSpec(
            name="PruneLoginFailures",
            run=lambda ctx: prune_login_failures(host, ctx),
            description="Delete expired web sessions and failed-login records older than a day",
            frequency_minutes=1440,
            priority=50,
            module="hostsim",
        ),
    ]
