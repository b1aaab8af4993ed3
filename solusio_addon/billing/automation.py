"""SolusioAutomation: the daily task that bills last month's usage and manages overdue users.

Each run, in this order: finish pending enrolments, invoice the months that are due, apply the
overdue lifecycle (``lifecycle.py``), report (``report.py``: the run's policy and counters).
Built to stay fast at tens of thousands of clients:

* clients are streamed from the database in keyset pages (``paging.py``), never loaded at once;
* usage is fetched through a bounded thread pool (SolusIO is a remote panel: requests overlap);
* results are written in batches, one transaction each, the claim of every (client, month)
  going through the ledger's unique key, so a second run (or a concurrent one) writes nothing;
* each invoice's email is queued in the host's outbox (the email log) in the same transaction as
  the invoice, and delivered after the commit: a crash can neither leave an invoice unmailed nor
  make a later run mail it twice (the host's DeliverQueuedMail sweep sends what was queued).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, cast

from sqlalchemy import and_, exists, func, select, update

from hostsim.addon_api import Client, Currency, format_money, retry_on_conflict
from solusio_addon.admin.enrolments import LINK_FAILED_MARK, provision
from solusio_addon.billing.fetching import DEFAULT_WORKERS, Fetched, Job, ThreadFetcher
from solusio_addon.billing.ledger import Entry, Recorded, RecordResult, record_batch
from solusio_addon.billing.lifecycle import OverduePass
from solusio_addon.billing.lines import Line, build_lines
from solusio_addon.billing.paging import enrolment_pages
from solusio_addon.billing.periods import Period, due_periods
from solusio_addon.billing.report import Policy, Report, Say
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus, TokenPrice
from solusio_addon.solusio_api import SolusioClient, Usage

if TYPE_CHECKING:
    from hostsim.addon_api import Host

TASK_NAME = "SolusioAutomation"


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
        for rows in enrolment_pages(self.host, select(Enrolment.client_id).where(self._unbilled(period, None))):
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
            for rows in enrolment_pages(self.host, query):
                for client_id, user_id, currency_id in rows:
                    yield Job(client_id, cast(int, user_id), currency_id, period)  # NOT NULL by the query

    def fetch_all(self, jobs: Iterable[Job]) -> Iterator[Fetched]:
        return ThreadFetcher(self.api, self.host.clock.tz, self.workers, ahead=self._fetch_ahead()).fetch_all(jobs)

    def _fetch_ahead(self) -> int:
        """On PostgreSQL and MariaDB a batch's worth of usage is fetched while the last batch is
        written. Not on SQLite: there the mail courier can mark a message sent only between two
        of the run's write transactions (one writer at a time), and a run that never waits for
        usage leaves it almost no such moment (10,000 clients: the last emails went out 10 s
        after the billing instead of 1.5 s, and the run took longer; on PostgreSQL fetching
        ahead took 37 s instead of 43-47 s)."""
        return 0 if self.host.engine.dialect.name == "sqlite" else self.batch_size

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

    def expected_messages(self, today: date) -> int:
        """About how many emails a run as of ``today`` sends: one per client still to bill."""
        return sum(self.count_jobs(period) for period in self.due_periods(today))

    def due_periods(self, today: date) -> list[Period]:
        return due_periods(today, self.policy.lookback_months, date.min)

    def invoice_due(self, today: date, *, only_client: int | None = None, periods: list[Period] | None = None,
                    dry_run: bool = False, client_range: tuple[int, int] | None = None,
                    ) -> list[tuple[Job, list[Line], str]]:
        """Bill every due (client, month), month by month so each client's invoices come oldest
        first (``client_range``: only the clients with ids in it, both ends included). With
        ``dry_run`` nothing is written; the planned invoices are returned (and said at -v)."""
        periods = periods if periods is not None else self.due_periods(today)
        totals = [(period, self.count_jobs(period, only_client=only_client, client_range=client_range))
                  for period in periods]
        # A batch's mail goes out while the next is billed; about one message per client billed.
        with self.host.mail.in_background(0 if dry_run else sum(total for _period, total in totals)):
            return self._invoice_due(today, only_client, totals, dry_run, client_range)

    def _invoice_due(self, today: date, only_client: int | None, totals: list[tuple[Period, int]], dry_run: bool,
                     client_range: tuple[int, int] | None) -> list[tuple[Job, list[Line], str]]:
        prices, codes = self.prices(), self.currency_codes()
        planned: list[tuple[Job, list[Line], str]] = []
        for period, total in totals:
            if period.label not in self.report.periods:
                self.report.periods.append(period.label)
            jobs = self._priced_jobs(self.jobs(today, only_client=only_client, periods=[period],
                                               client_range=client_range), prices, codes)
            batch: list[tuple[Job, list[Line], Usage]] = []
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

    # --- 3. overdue lifecycle (lifecycle.py) -------------------------------------------------

    def apply_overdue(self, today: date) -> None:
        """Lock, suspend and reactivate SolusIO users as the overdue rules say, into this run's report."""
        OverduePass(self.host, self.api, self.policy, self.report, say=self.say, workers=self.workers).apply(today)
