"""The addon's billing hooks: the SolusioAutomation cron task and InvoicePaid reactivation."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.addon_api import CronContext, CronTaskSpec, Invoice, hookimpl
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import client_from_settings
from solusio_addon.billing.automation import TASK_NAME, Automation
from solusio_addon.billing.lifecycle import apply_status, open_addon_invoices
from solusio_addon.billing.overdue import decide
from solusio_addon.billing.report import Policy
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)


def policy_from_settings(host: "Host") -> Policy:
    pp = addon_settings.load_postpay(host)
    return Policy(grace_days=pp.grace_days, lock_days=pp.lock_days, suspend_days=pp.suspend_days,
                  lookback_months=pp.lookback_months, limit_group_id=pp.limit_group_id)


def run_automation(host: "Host", ctx: CronContext) -> None:
    """The body of SolusioAutomation (``hostsim cron do --SolusioAutomation -vvv``)."""
    if not addon_settings.load_connection(host).connected:
        ctx.say(1, "SolusIO is not connected yet: nothing to do (connect it on the addon page)")
        ctx.counters["skipped"] = {"not connected": 1}
        return
    automation = Automation(host, client_from_settings(host), policy_from_settings(host), say=ctx.say,
                            progress=ctx.progress)
    unsupported = host.workers.unsupported() if ctx.workers > 1 else ""
    if unsupported:
        ctx.say(1, f"--workers {ctx.workers}: {unsupported}")
    if ctx.workers > 1 and not unsupported:
        from solusio_addon.billing.parallel import invoice_with_workers

        automation.finish_pending()
        invoice_with_workers(host, automation, ctx)
        automation.apply_overdue(ctx.today)
        _report_and_reconcile(host, ctx, automation)
        return
    # The invoices' mail is still going out while the overdue pass and the reconcile run.
    with host.mail.in_background(automation.expected_messages(ctx.today)):
        automation.run(ctx.today)
        _report_and_reconcile(host, ctx, automation)


def _report_and_reconcile(host: "Host", ctx: CronContext, automation: Automation) -> None:
    ctx.counters.update(automation.report.counters())
    for line in automation.report.summary_lines():
        ctx.say(1, line)
    reconcile_daily(host, ctx, automation)


def join_automation(host: "Host", ctx: CronContext) -> None:
    """Another process runs SolusioAutomation with ``--workers``: bill a share of its batches."""
    from solusio_addon.billing.parallel import join

    unsupported = host.workers.unsupported()
    if unsupported:
        ctx.say(1, f"cannot join: {unsupported}")
        return
    join(host, Automation(host, client_from_settings(host), policy_from_settings(host), say=ctx.say), ctx)


def reconcile_daily(host: "Host", ctx: CronContext, automation: Automation) -> None:
    """The daily part's last step: compare every enrolment with SolusIO, repair the safe drift
    (once per host day)."""
    from solusio_addon.billing.reconcile import Reconcile, fixed_on

    if fixed_on(host, ctx.today):  # a same-day re-run (after a crash, say) bills; it need not page again
        ctx.say(1, f"reconcile: already done as of {ctx.today.isoformat()}")
        return
    try:
        result = Reconcile(host, automation.api, automation.policy, say=ctx.say,
                           workers=automation.workers).run(ctx.today, fix=True)
    except SolusioError as exc:
        ctx.counters["reconcile"] = {"error": str(exc)}
        ctx.say(1, f"reconcile: SolusIO failed ({exc}); tried again tomorrow")
        return
    ctx.counters["reconcile"] = result.counters()
    for line in result.summary_lines():
        ctx.say(1, line)


@hookimpl
def register_cron_tasks(host: "Host") -> list[CronTaskSpec]:
    from solusio_addon.billing.status_warnings import TASK_NAME as WARNINGS_TASK
    from solusio_addon.billing.status_warnings import run_warnings

    return [CronTaskSpec(name=TASK_NAME, run=lambda ctx: run_automation(host, ctx), module="solusio",
                         frequency_minutes=1440, priority=50, join=lambda ctx: join_automation(host, ctx),
                         description="Invoice last month's SolusIO usage; lock, suspend and reactivate overdue users"),
            # After the automation (which locks and suspends today's), so no warning names a past day.
            CronTaskSpec(name=WARNINGS_TASK, run=lambda ctx: run_warnings(host, ctx), module="solusio",
                         frequency_minutes=1440, priority=60,
                         description="Email clients before an overdue invoice locks or suspends their SolusIO user")]


@hookimpl
def invoice_paid(host: "Host", invoice_id: int) -> None:
    """Reactivate at once when a payment leaves nothing overdue (the daily pass reconciles misses)."""
    with host.sessions() as s:
        invoice = s.get(Invoice, invoice_id)
        if invoice is None:
            return
        enrolment = s.scalars(select(Enrolment).where(Enrolment.client_id == invoice.client_id)).first()
        if enrolment is None or enrolment.solusio_user_id is None or enrolment.status in (
                EnrolmentStatus.ACTIVE, EnrolmentStatus.PENDING, EnrolmentStatus.CLOSED):
            return
        client_id, user_id, old, exempt = enrolment.client_id, enrolment.solusio_user_id, enrolment.status, \
            enrolment.exempt_from_overdue
    policy = policy_from_settings(host)
    decision = decide(host.clock.today(), open_addon_invoices(host, [client_id]).get(client_id, []),
                      lock_days=policy.lock_days, suspend_days=policy.suspend_days, exempt=exempt)
    if decision.status is old:
        return
    try:
        client_from_settings(host, interactive=True).set_user_status(user_id, decision.status.value)
    except SolusioError as exc:
        log.warning("client #%s paid invoice #%s but SolusIO could not be updated (%s); the daily run will retry",
                    client_id, invoice_id, exc)
        return
    apply_status(host, client_id, old, decision)
