"""SolusioAutomation's invoicing spread over worker processes, and over hosts.

``hostsim cron do --SolusioAutomation --workers N`` (PostgreSQL or MariaDB):

1. the process holding the task's lock finishes pending enrolments, then *plans* each due month:
   the clients still unbilled, cut into client-id ranges of ``CLAIM_SIZE``, one
   :class:`~solusio_addon.db.models.BillingBatch` row each (a new generation per planning; an
   unfinished generation left by a crashed run is carried on instead);
2. N worker processes (and the workers of any other host running the same command, which *join*)
   claim batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` and hold each row locked while they
   bill its range with the ordinary code path (the ledger's unique key still decides, so a
   client is never billed twice), then mark it done with what they did;
3. months go oldest first: a worker moves to the next month only when every batch of this one is
   done, so each client's invoices keep their order; while it waits it takes over any batch whose
   worker died (the dead process's connection, and so its lock, is gone);
4. once the workers exit, the planning process bills whatever is left itself (every worker may
   have died), adds the batches' counts to its report and applies the overdue lifecycle.

On SQLite there is one writer at a time: the run says so and bills in one process.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import func, insert, select

from solusio_addon.billing.automation import Automation
from solusio_addon.billing.periods import Period
from solusio_addon.billing.report import Report
from solusio_addon.db.models import BillingBatch

if TYPE_CHECKING:
    from hostsim.addon_api import CronContext, Host

log = logging.getLogger(__name__)
#: Clients per claimed batch: large enough that claiming costs nothing next to billing, small
#: enough that N workers finish together and a dead worker's batch is quick to redo.
CLAIM_SIZE = 250
#: How often a worker that found nothing to claim looks again while others finish the month.
WAIT_SECONDS = 0.2
FAILURES_KEPT = 20

Plan = tuple[str, int]  # (the month's label, the generation of its batches)


# --- planning ----------------------------------------------------------------------------------

def plan_month(host: "Host", automation: Automation, period: Period, claim_size: int | None = None) -> tuple[int, int]:
    """The generation of ``period``'s batches to work on, and its number of batches.

    An unfinished generation (a run that died) is carried on; otherwise the clients still
    unbilled are cut into new batches."""
    with host.sessions() as s:
        latest = s.scalar(select(func.max(BillingBatch.generation)).where(BillingBatch.period_start == period.start))
        if latest is not None:
            open_count = _count(s, period, latest, done=False)
            if open_count:
                return latest, _count(s, period, latest, done=None)
    generation = (latest or 0) + 1
    claim_size = claim_size or CLAIM_SIZE
    now = host.clock.now()
    ids = list(automation.unbilled_client_ids(period))
    rows = [dict(period_start=period.start, generation=generation, first_client_id=chunk[0],
                 last_client_id=chunk[-1], clients=len(chunk), planned_at=now, done_at=None, done_by="",
                 invoiced=0, no_usage=0, already_billed=0, failed=0, amounts="{}", failures="")
            for chunk in (ids[i:i + claim_size] for i in range(0, len(ids), claim_size))]
    if rows:
        with host.transaction() as s:
            s.execute(insert(BillingBatch), rows)
    return generation, len(rows)


def _count(session: Any, period: Period, generation: int, *, done: bool | None) -> int:
    query = select(func.count()).select_from(BillingBatch).where(BillingBatch.period_start == period.start,
                                                                  BillingBatch.generation == generation)
    if done is not None:
        query = query.where(BillingBatch.done_at.is_not(None) if done else BillingBatch.done_at.is_(None))
    return int(session.scalar(query) or 0)


def open_plans(host: "Host", automation: Automation, today: date) -> list[Plan]:
    """The due months that have batches left to bill, with their generation (what a joining
    process works on; it plans nothing itself)."""
    plans = []
    with host.sessions() as s:
        for period in automation.due_periods(today):
            latest = s.scalar(select(func.max(BillingBatch.generation))
                              .where(BillingBatch.period_start == period.start))
            if latest is not None and _count(s, period, latest, done=False):
                plans.append((period.label, latest))
    return plans


# --- working -----------------------------------------------------------------------------------

def work(host: "Host", automation: Automation, today: date, plans: list[Plan]) -> int:
    """Claim and bill batches of ``plans``, month by month; the number of batches this process did.
    One mail courier serves all of them (not one started and stopped per batch)."""
    with host.mail.in_background():
        return _work(host, automation, today, plans)


def _work(host: "Host", automation: Automation, today: date, plans: list[Plan]) -> int:
    done = 0
    for label, generation in plans:
        period = Period.parse(label)
        while True:
            if _bill_one(host, automation, today, period, generation):
                done += 1
                continue
            with host.sessions() as s:
                if not _count(s, period, generation, done=False):
                    break  # the month is billed: on to the next
            time.sleep(WAIT_SECONDS)  # others hold the rest; one of them may die and free its batch
    return done


def _bill_one(host: "Host", automation: Automation, today: date, period: Period, generation: int) -> bool:
    """Claim one open batch and bill it, holding its row locked until it is marked done."""
    with host.sessions() as claim, claim.begin():
        batch = claim.scalars(select(BillingBatch)
                              .where(BillingBatch.period_start == period.start, BillingBatch.generation == generation,
                                     BillingBatch.done_at.is_(None))
                              .order_by(BillingBatch.first_client_id).limit(1)
                              .with_for_update(skip_locked=True)).first()
        if batch is None:
            return False
        # The batch's own counts go on its row; the caller's report (the planner's, with its
        # pending enrolments) is left as it was: add_counts sums every batch from the rows.
        kept, automation.report = automation.report, Report()
        try:
            automation.invoice_due(today, periods=[period],
                                   client_range=(batch.first_client_id, batch.last_client_id))
            report = automation.report
        finally:
            automation.report = kept
        batch.done_at, batch.done_by = host.clock.now(), host.workers.name()
        batch.invoiced, batch.no_usage, batch.already_billed = report.invoiced, report.no_usage, report.already_billed
        batch.failed, batch.failures = report.failed, "\n".join(report.failures[:FAILURES_KEPT])
        batch.amounts = json.dumps({code: str(amount) for code, amount in sorted(report.amounts.items())})
        log.info("batch %s-%s of %s: %d invoiced", batch.first_client_id, batch.last_client_id, period.label,
                 report.invoiced)
    return True


def worker_main(host: "Host", index: int, today_iso: str, plans: list[Plan]) -> None:
    """The target of each worker process."""
    from solusio_addon.admin.client_factory import client_from_settings
    from solusio_addon.billing.hooks import policy_from_settings

    automation = Automation(host, client_from_settings(host), policy_from_settings(host))
    done = work(host, automation, date.fromisoformat(today_iso), plans)
    log.info("worker %d billed %d batch(es)", index, done)


# --- the run -----------------------------------------------------------------------------------

def invoice_with_workers(host: "Host", automation: Automation, ctx: "CronContext") -> None:
    """Plan the due months, bill them with ``ctx.workers`` processes, finish what they left, and
    add their counts to ``automation.report``."""
    plans: list[Plan] = []
    due = automation.due_periods(ctx.today)
    for period in due:
        generation, batches = plan_month(host, automation, period)
        if batches:
            plans.append((period.label, generation))
            ctx.say(1, f"{period.label}: {batches} batch(es) of clients for {ctx.workers} workers")
    if not plans:
        automation.report.periods = [period.label for period in due]  # named in "nothing to invoice for ..."
        return
    run_workers(host, ctx, plans)
    left = work(host, automation, ctx.today, plans)  # a batch every worker left (they all died)
    if left:
        ctx.say(1, f"{left} batch(es) the workers left were billed by this process")
    add_counts(host, automation.report, plans)


def run_workers(host: "Host", ctx: "CronContext", plans: list[Plan]) -> None:
    exits = host.workers.run(worker_main, ctx.workers, ctx.today.isoformat(), plans,
                             on_wait=progress_reporter(host, ctx, plans))
    died = [e for e in exits if e.exitcode != 0]
    if died:
        ctx.say(1, f"{len(died)} worker(s) stopped early (exit codes {', '.join(str(e.exitcode) for e in died)}); "
                   "their batches were taken over")


def join(host: "Host", automation: Automation, ctx: "CronContext") -> None:
    """Work on the run another process holds: its open batches, with ``ctx.workers`` processes."""
    plans = open_plans(host, automation, ctx.today)
    if not plans:
        ctx.say(1, "nothing to join: the run in progress has no batches left to bill")
        return
    ctx.say(1, f"joining: {', '.join(label for label, _ in plans)} with {ctx.workers} worker(s)")
    if ctx.workers > 1:
        run_workers(host, ctx, plans)
    else:
        work(host, automation, ctx.today, plans)


def progress_reporter(host: "Host", ctx: "CronContext", plans: list[Plan]) -> Callable[[], None]:
    """Say how many batches are done whenever the count moved (``-v``)."""
    shown: dict[str, int] = {}

    def report() -> None:
        with host.sessions() as s:
            for label, generation in plans:
                period = Period.parse(label)
                done, total = _count(s, period, generation, done=True), _count(s, period, generation, done=None)
                if shown.get(label) != done:
                    shown[label] = done
                    ctx.say(1, f"{label}: {done}/{total} batches billed")
    return report


def add_counts(host: "Host", report: Report, plans: list[Plan]) -> None:
    with host.sessions() as s:
        for label, generation in plans:
            for labels in (report.periods, report.billed_periods):
                if label not in labels:
                    labels.append(label)
            period = Period.parse(label)
            for batch in s.scalars(select(BillingBatch).where(BillingBatch.period_start == period.start,
                                                              BillingBatch.generation == generation)):
                report.invoiced += batch.invoiced
                report.emailed += batch.invoiced
                report.no_usage += batch.no_usage
                report.already_billed += batch.already_billed
                report.failed += batch.failed
                report.failures.extend(line for line in batch.failures.splitlines() if line)
                for code, amount in json.loads(batch.amounts or "{}").items():
                    report.add_amount(code, Decimal(amount))


def workers_done_by(host: "Host", period: Period) -> dict[str, int]:
    """Batches of ``period`` per worker that did them (all generations)."""
    with host.sessions() as s:
        rows = s.execute(select(BillingBatch.done_by, func.count()).where(BillingBatch.period_start == period.start,
                                                                           BillingBatch.done_at.is_not(None))
                         .group_by(BillingBatch.done_by)).all()
    return {who: int(n) for who, n in rows}
