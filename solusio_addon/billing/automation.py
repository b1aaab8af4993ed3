"""SolusioAutomation: the daily task that bills last month's usage and manages overdue users.

Each run, in this order: finish pending enrolments, invoice the months that are due, apply the
overdue lifecycle, report. Built to stay fast at tens of thousands of clients:

* clients are streamed from the database in keyset pages, never loaded at once;
* usage is fetched through a bounded thread pool (SolusIO is a remote panel: requests overlap);
* results are written in batches, one transaction each, the claim of every (client, month)
  going through the ledger's unique key, so a second run (or a concurrent one) writes nothing;
* each invoice's email is queued in the host's outbox (the email log) in the same transaction as
  the invoice, and delivered after the commit: a crash can neither leave an invoice unmailed nor
  make a later run mail it twice (the host's DeliverQueuedMail sweep sends what was queued).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, cast

from sqlalchemy import and_, exists, func, select, update

from hostsim.addon_api import Client, Currency, Invoice, InvoiceStatus, format_money, retry_on_conflict
from solusio_addon.admin.enrolments import LINK_FAILED_MARK, provision
from solusio_addon.billing.fetching import DEFAULT_WORKERS, Fetched, Job, ThreadFetcher
from solusio_addon.billing.ledger import Entry, Recorded, RecordResult, record_batch
from solusio_addon.billing.lines import Line, build_lines
from solusio_addon.billing.overdue import Decision, OpenInvoice, decide
from solusio_addon.billing.periods import Period, due_periods
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus, TokenPrice
from solusio_addon.solusio_api import SolusioClient, SolusioError, Usage

if TYPE_CHECKING:
    from hostsim.addon_api import Host

TASK_NAME = "SolusioAutomation"
PAGE_SIZE = 1000  # clients read per query
FAILURE_DETAIL_LIMIT = 50  # failures kept with their reason in the stored counters
OWED_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.COLLECTIONS)

Say = Callable[[int, str], None]


@dataclass(frozen=True)
class Policy:
    grace_days: int
    lock_days: int
    suspend_days: int
    lookback_months: int
    limit_group_id: int | None = None


@dataclass
class Report:
    provisioned: int = 0
    pending: int = 0
    invoiced: int = 0
    no_usage: int = 0
    already_billed: int = 0
    emailed: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)
    locked: int = 0
    suspended: int = 0
    reactivated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    #: The months (``YYYY-MM``) this run looked at for invoicing, and those it had clients to bill
    #: for: the summary's wording ("nothing to invoice for 2026-07").
    periods: list[str] = field(default_factory=list)
    billed_periods: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail(self, client_id: int, reason: str) -> None:
        with self._lock:
            self.failed += 1
            if len(self.failures) < FAILURE_DETAIL_LIMIT:
                self.failures.append(f"client #{client_id}: {reason}")

    def add_amount(self, code: str, amount: Decimal) -> None:
        self.amounts[code] = self.amounts.get(code, Decimal("0")) + amount

    def counters(self) -> dict[str, Any]:
        """JSON-ready counters, stored with the cron run and shown on the admin page."""
        return {
            "provisioned": self.provisioned, "pending": self.pending, "invoiced": self.invoiced,
            "no_usage": self.no_usage, "already_billed": self.already_billed, "emailed": self.emailed,
            "amounts": {code: str(amount) for code, amount in sorted(self.amounts.items())},
            "locked": self.locked, "suspended": self.suspended, "reactivated": self.reactivated,
            "skipped": dict(sorted(self.skipped.items())), "failed": self.failed, "failures": self.failures,
        }

    def summary_lines(self) -> list[str]:
        """What the run did, in words; what it had nothing to do for says so (never "0 for nothing")."""
        lines = []
        if self.provisioned or self.pending:
            lines.append(f"enrolments provisioned: {self.provisioned}"
                         + (f" (still pending: {self.pending})" if self.pending else ""))
        others = [f"{label}: {count}" for label, count in (("no usage", self.no_usage),
                  ("already billed", self.already_billed), ("invoice emails", self.emailed)) if count]
        if self.invoiced:
            amounts = ", ".join(format_money(a, c) for c, a in sorted(self.amounts.items()))
            months = f" for {', '.join(self.billed_periods)}" if self.billed_periods else ""
            lines.append(f"clients invoiced: {self.invoiced}{months}, {amounts}" + "".join(f"; {o}" for o in others))
        else:
            # The latest month is the news; older ones are only looked at again (lookback).
            month = f" for {self.periods[-1]}" if self.periods else ""
            lines.append(f"nothing to invoice{month}" + (f" ({'; '.join(others)})" if others else ""))
        changed = [f"{label}: {count}" for label, count in (("locked", self.locked), ("suspended", self.suspended),
                   ("reactivated", self.reactivated)) if count]
        lines.append("; ".join(changed) if changed else "no account locked, suspended or reactivated")
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"skipped ({reason}): {count}")
        if self.failed:
            lines.append(f"failures: {self.failed}")
            lines.extend(f"  {f}" for f in self.failures)
        return lines


class Automation:
    """One run of SolusioAutomation as of a day. ``say(level, message)`` prints at ``-v`` levels."""

    def __init__(self, host: "Host", api: SolusioClient, policy: Policy, *, say: Say | None = None,
                 workers: int = DEFAULT_WORKERS, batch_size: int = 250,
                 progress: Callable[[Iterable[Any], int | None, str], Iterable[Any]] | None = None) -> None:
        self.host = host
        self.api = api
        self.policy = policy
        self.say: Say = say or (lambda level, message: None)
        self.workers = max(1, workers)
        self.batch_size = max(1, batch_size)
        self.progress = progress or (lambda items, length, label: items)
        self.report = Report()

    # --- the run ----------------------------------------------------------------------------

    def run(self, today: date) -> Report:
        self.finish_pending()
        self.invoice_due(today)
        self.apply_overdue(today)
        return self.report

    # --- 1. pending enrolments --------------------------------------------------------------

    def finish_pending(self) -> None:
        waiting = and_(Enrolment.status == EnrolmentStatus.PENDING, Enrolment.solusio_user_id.is_(None))
        with self.host.sessions() as s:
            # A refused link waits for the admin (Billing tab): counted apart, never retried here.
            refused = int(s.scalar(select(func.count()).select_from(Enrolment)
                                   .where(waiting, Enrolment.last_error.startswith(LINK_FAILED_MARK))) or 0)
            pending = list(s.scalars(select(Enrolment.id).where(Enrolment.status == EnrolmentStatus.PENDING,
                                                                ~Enrolment.last_error.startswith(LINK_FAILED_MARK))
                                     .order_by(Enrolment.id)))
        if refused:
            self.report.skipped["SolusIO link refused: resolve on the Billing tab"] += refused
        for enrolment_id in pending:
            result = provision(self.host, self.api, enrolment_id, limit_group_id=self.policy.limit_group_id)
            if result.ok:
                self.report.provisioned += 1
                self.say(3, f"enrolment #{enrolment_id}: provisioned SolusIO user #{result.solusio_user_id}")
            else:
                self.report.pending += 1
                self.say(3, f"enrolment #{enrolment_id}: still pending ({result.error})")

    # --- 2. invoices --------------------------------------------------------------------------

    def prices(self) -> dict[int, tuple[str, Decimal]]:
        with self.host.sessions() as s:
            rows = s.execute(select(TokenPrice.currency_id, Currency.code, TokenPrice.price)
                             .join(Currency, Currency.id == TokenPrice.currency_id)).all()
        return {currency_id: (code, price) for currency_id, code, price in rows}

    def currency_codes(self) -> dict[int, str]:
        with self.host.sessions() as s:
            return dict(s.execute(select(Currency.id, Currency.code)).all())

    def _unbilled(self, period: Period, only_client: int | None, client_range: tuple[int, int] | None = None) -> Any:
        """The WHERE of "enrolled before the period ended and not billed for it yet"."""
        period_start, period_end = period.bounds(self.host.clock.tz)
        # A month wholly inside a closure (closed before it began, not reopened before it ended)
        # is not billed; the month of the closure itself is, once, like everyone's.
        closed_all_month = and_(Enrolment.closed_at.is_not(None), Enrolment.closed_at <= period_start,
                                Enrolment.reopened_at.is_(None) | (Enrolment.reopened_at >= period_end))
        conditions = [Enrolment.status != EnrolmentStatus.PENDING, Enrolment.solusio_user_id.is_not(None),
                      Enrolment.created_at < period_end, ~closed_all_month,
                      ~exists().where(and_(BilledPeriod.client_id == Enrolment.client_id,
                                           BilledPeriod.period_start == period.start))]
        if only_client is not None:
            conditions.append(Enrolment.client_id == only_client)
        if client_range is not None:
            conditions.append(Enrolment.client_id.between(*client_range))
        return and_(*conditions)

    def count_jobs(self, period: Period, *, only_client: int | None = None,
                   client_range: tuple[int, int] | None = None) -> int:
        """How many clients are still to bill for ``period`` (for the progress bar)."""
        with self.host.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Enrolment)
                                .where(self._unbilled(period, only_client, client_range))) or 0)

    def unbilled_client_ids(self, period: Period) -> Iterator[int]:
        """The ids of the clients still to bill for ``period``, in order (keyset pages)."""
        for rows in self._pages(select(Enrolment.client_id).where(self._unbilled(period, None))):
            for (client_id,) in rows:
                yield client_id

    def jobs(self, today: date, *, only_client: int | None = None, periods: list[Period] | None = None,
             client_range: tuple[int, int] | None = None) -> Iterator[Job]:
        """(client, month) pairs still to bill, oldest month first, streamed in keyset pages.

        This filter only saves work: the ledger's unique key is what makes billing happen once.
        """
        periods = periods if periods is not None else due_periods(today, self.policy.lookback_months, date.min)
        for period in periods:
            query = (select(Enrolment.client_id, Enrolment.solusio_user_id, Client.currency_id)
                     .join(Client, Client.id == Enrolment.client_id)
                     .where(self._unbilled(period, only_client, client_range)))
            for rows in self._pages(query):
                for client_id, user_id, currency_id in rows:
                    yield Job(client_id, cast(int, user_id), currency_id, period)  # NOT NULL by the query

    def _pages(self, query: Any) -> Iterator[Sequence[Any]]:
        """``query``'s rows in keyset pages by client id (its first column), a session per page."""
        last_id = 0
        while True:
            with self.host.sessions() as s:
                rows = s.execute(query.where(Enrolment.client_id > last_id)
                                 .order_by(Enrolment.client_id).limit(PAGE_SIZE)).all()
            if rows:
                yield rows
            if len(rows) < PAGE_SIZE:
                return
            last_id = rows[-1][0]

    def fetch_all(self, jobs: Iterable[Job]) -> Iterator[Fetched]:
        return ThreadFetcher(self.api, self.host.clock.tz, self.workers).fetch_all(jobs)

    def _priced_jobs(self, jobs: Iterable[Job], prices: dict[int, tuple[str, Decimal]],
                     codes: dict[int, str]) -> Iterator[Job]:
        """Jobs whose currency has a token price; the others are reported and left for later."""
        for job in jobs:
            if job.currency_id in prices:
                yield job
                continue
            code = codes.get(job.currency_id, f"currency #{job.currency_id}")
            self.report.skipped[f"no token price for {code}"] += 1
            self.report.fail(job.client_id, f"no token price for {code}: set one under Settings; "
                                            f"the {job.period.label} invoice waits for it")
            self.say(3, f"client #{job.client_id} {job.period.label}: skipped, no token price for {code}")

    def due_periods(self, today: date) -> list[Period]:
        return due_periods(today, self.policy.lookback_months, date.min)

    def invoice_due(self, today: date, *, only_client: int | None = None, periods: list[Period] | None = None,
                    dry_run: bool = False, client_range: tuple[int, int] | None = None,
                    ) -> list[tuple[Job, list[Line], str]]:
        """Bill every due (client, month), month by month so each client's invoices come oldest
        first (``client_range``: only the clients with ids in it, both ends included). With
        ``dry_run`` nothing is written; the planned invoices are returned (and said at -v)."""
        with self.host.mail.in_background():  # a batch's mail goes out while the next is billed
            return self._invoice_due(today, only_client, periods, dry_run, client_range)

    def _invoice_due(self, today: date, only_client: int | None, periods: list[Period] | None, dry_run: bool,
                     client_range: tuple[int, int] | None) -> list[tuple[Job, list[Line], str]]:
        prices, codes = self.prices(), self.currency_codes()
        planned: list[tuple[Job, list[Line], str]] = []
        for period in periods if periods is not None else self.due_periods(today):
            if period.label not in self.report.periods:
                self.report.periods.append(period.label)
            jobs = self._priced_jobs(self.jobs(today, only_client=only_client, periods=[period],
                                               client_range=client_range), prices, codes)
            batch: list[tuple[Job, list[Line], Usage]] = []
            total = self.count_jobs(period, only_client=only_client, client_range=client_range)
            if total:
                self.say(1, f"{period.label}: {total} client(s) to bill")
                if period.label not in self.report.billed_periods:
                    self.report.billed_periods.append(period.label)
            for fetched in self.progress(self.fetch_all(jobs), total, f"usage {period.label}"):
                self.report.requests += 1
                job = fetched.job
                if fetched.usage is None:
                    self.report.skipped["SolusIO error"] += 1
                    self.report.fail(job.client_id, f"{job.period.label}: {fetched.error}")
                    self.say(3, f"client #{job.client_id} {job.period.label}: SolusIO failed ({fetched.error}); "
                                "left for the next run")
                    continue
                code, price = prices[job.currency_id]
                lines = build_lines(fetched.usage, job.period, price, code)
                if dry_run:
                    planned.append((job, lines, code))
                    amount = sum((line.amount for line in lines), Decimal("0"))
                    self.say(1, f"client #{job.client_id} {job.period.label}: "
                                + (f"{len(lines)} line(s), {format_money(amount, code)}" if lines else "no usage"))
                    continue
                batch.append((job, lines, fetched.usage))
                if len(batch) >= self.batch_size:
                    self._write(batch, prices, today)
                    batch = []
            if batch:
                self._write(batch, prices, today)
        return planned

    def _write(self, batch: list[tuple[Job, list[Line], Usage]], prices: dict[int, tuple[str, Decimal]],
               today: date) -> None:
        """One transaction for the batch: claims, invoices and their queued emails (which the host
        delivers once it commits)."""
        entries = [Entry(job.client_id, job.solusio_user_id, job.period, lines, *prices[job.currency_id],
                         usage.total_tokens) for job, lines, usage in batch]
        def write() -> list[RecordResult]:
            with self.host.transaction() as s:
                results = record_batch(self.host, s, entries, invoice_date=today,
                                       due_date=today + timedelta(days=self.policy.grace_days))
                billed = [r.billed_period_id for r in results if r.billed_period_id is not None and r.invoice_id]
                if billed:
                    s.execute(update(BilledPeriod).where(BilledPeriod.id.in_(billed))
                              .values(emailed_at=self.host.clock.now()))
                return results

        # A concurrent run claiming the same keys can deadlock with this one; the database rolls
        # one batch back whole, and running it again is safe (its claims then find the rows).
        results = retry_on_conflict(write)
        for entry, result in zip(entries, results):  # counted only once the transaction committed
            self.say(3, f"client #{entry.client_id} {entry.period.label}: {result.outcome.value}"
                        + (f" (invoice #{result.invoice_id}, {format_money(result.total, entry.currency_code)})"
                           if result.invoice_id else ""))
            if result.outcome is Recorded.NO_USAGE:
                self.report.no_usage += 1
            elif result.outcome is Recorded.ALREADY_BILLED:
                self.report.already_billed += 1
            else:
                self.report.invoiced += 1
                self.report.emailed += 1  # queued with the invoice, delivered by the host
                self.report.add_amount(entry.currency_code, result.total)

    # --- 3. overdue lifecycle -----------------------------------------------------------------

    def overdue_candidates(self, today: date) -> Iterator[list[tuple[int, int, EnrolmentStatus, bool]]]:
        """Pages of enrolments that may need a change: an owed addon invoice past its due date,
        or not active now (to reactivate)."""
        overdue = exists().where(and_(BilledPeriod.client_id == Enrolment.client_id,
                                      BilledPeriod.invoice_id == Invoice.id, Invoice.status.in_(OWED_STATUSES),
                                      Invoice.due_date < today))
        query = (select(Enrolment.client_id, Enrolment.solusio_user_id, Enrolment.status, Enrolment.exempt_from_overdue)
                 .where(Enrolment.solusio_user_id.is_not(None),
                        Enrolment.status.not_in((EnrolmentStatus.PENDING, EnrolmentStatus.CLOSED)),
                        (Enrolment.status != EnrolmentStatus.ACTIVE) | overdue))
        for rows in self._pages(query):
            yield [(client_id, cast(int, user_id), status, exempt) for client_id, user_id, status, exempt in rows]

    def apply_overdue(self, today: date) -> None:
        changes: list[tuple[int, int, EnrolmentStatus, Decision]] = []
        for page in self.overdue_candidates(today):
            invoices = open_addon_invoices(self.host, [row[0] for row in page])
            for client_id, user_id, status, exempt in page:
                decision = decide(today, invoices.get(client_id, []), lock_days=self.policy.lock_days,
                                  suspend_days=self.policy.suspend_days, exempt=exempt)
                self.say(3, f"client #{client_id}: {status.value} -> {decision.status.value} ({decision.reason})")
                if decision.status is not status:
                    changes.append((client_id, user_id, status, decision))
        if not changes:
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="solusio-status") as pool:
            results = list(pool.map(lambda c: self._push_status(*c), changes))
        for (client_id, _user, _old, decision), ok in zip(changes, results):
            if not ok:
                continue
            if decision.status is EnrolmentStatus.LOCKED:
                self.report.locked += 1
            elif decision.status is EnrolmentStatus.SUSPENDED:
                self.report.suspended += 1
            else:
                self.report.reactivated += 1

    def _push_status(self, client_id: int, user_id: int, old: EnrolmentStatus, decision: Decision) -> bool:
        try:
            self.api.set_user_status(user_id, decision.status.value)
        except SolusioError as exc:
            self.report.fail(client_id, f"could not set SolusIO user #{user_id} {decision.status.value}: {exc}")
            return False
        apply_status(self.host, client_id, old, decision)
        return True


def open_addon_invoices(host: "Host", client_ids: list[int]) -> dict[int, list[OpenInvoice]]:
    """The addon's invoices still owed (Unpaid or Collections) of each client."""
    with host.sessions() as s:
        rows = s.execute(select(Invoice.client_id, Invoice.id, Invoice.due_date)
                         .join(BilledPeriod, BilledPeriod.invoice_id == Invoice.id)
                         .where(Invoice.client_id.in_(client_ids), Invoice.status.in_(OWED_STATUSES))).all()
    found: dict[int, list[OpenInvoice]] = {}
    for client_id, invoice_id, due_date in rows:
        found.setdefault(client_id, []).append(OpenInvoice(invoice_id, due_date))
    return found


def apply_status(host: "Host", client_id: int, old: EnrolmentStatus, decision: Decision, *, actor: str = "System",
                 admin_id: int | None = None, notify: bool = True) -> None:
    """Record a status SolusIO now has, log it, and tell the client (unless not ``notify``: an
    admin's change by hand, whose emails would name an overdue invoice there is none of)."""
    with host.transaction() as s:
        enrolment = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).one()
        enrolment.status = decision.status
        enrolment.status_invoice_id = decision.invoice_id
        enrolment.status_changed_at = host.clock.now()
        host.activity.log(f"SolusIO user #{enrolment.solusio_user_id} {old.value} -> {decision.status.value}: "
                          f"{decision.reason}", actor=actor, admin_id=admin_id, client_id=client_id, session=s)
        client = s.get(Client, client_id)
        assert client is not None
        email, first_name = client.email, client.first_name
    if not notify:
        return
    template = {EnrolmentStatus.LOCKED: "locked", EnrolmentStatus.SUSPENDED: "suspended"}.get(
        decision.status, "reactivated")
    company = host.settings.get("company_name")
    body = host.templates.render("solusio", f"emails/{template}.txt", first_name=first_name,
                                       invoice_id=decision.invoice_id, company=company,
                                       base_url=host.base_url)
    subjects = {"locked": "Your cloud account is locked", "suspended": "Your cloud servers are suspended",
                "reactivated": "Your cloud account is active again"}
    host.mail.send(email, subjects[template], body, client_id=client_id)
