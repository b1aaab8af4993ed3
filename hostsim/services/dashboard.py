"""What the admin dashboard charts: the host's own figures (revenue, invoices by status, cron
runs), as chart data. Addons add their widgets through the ``admin_home_widgets`` hook."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import func, select

from hostsim.db.models import CronRun, Currency, Invoice, InvoiceStatus, Payment
from hostsim.money import format_money
from hostsim.plugins.types import Chart, ChartSeries

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hostsim.clock import Clock

MONTHS = 12
CRON_RUNS = 10


def last_months(today: date, count: int = MONTHS) -> list[date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def month_label(first: date) -> str:
    return format_date(first, "MMM yyyy", locale="en_US")


def revenue_charts(s: Session, clock: Clock) -> list[Chart]:
    """Payments received per month over the last 12 months, one chart per currency received in
    (amounts in different currencies are never added up), exact to the cent."""
    months = last_months(clock.today())
    since = datetime.combine(months[0], time(0), tzinfo=clock.tz)
    rows = s.execute(select(Payment.amount, Payment.date, Currency.code)
                     .join(Invoice, Invoice.id == Payment.invoice_id)
                     .join(Currency, Currency.id == Invoice.currency_id)
                     .where(Payment.date >= since)).all()
    sums: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for amount, paid_at, code in rows:
        local = paid_at.astimezone(clock.tz).date()
        sums[code][local.replace(day=1)] += amount
    labels = tuple(month_label(m) for m in months)
    charts = []
    for code in sorted(sums):
        values = tuple(sums[code].get(m, Decimal(0)) for m in months)
        charts.append(Chart(
            f"Revenue per month ({code})", labels,
            (ChartSeries(code, values, tuple(format_money(v, code) for v in values)),),
            description=f"Payments received in {code} in each of the last {MONTHS} months, "
                        f"{format_money(sum(values, Decimal(0)), code)} in all.",
            label_heading="Month"))
    return charts


def invoice_status_chart(s: Session, today: date) -> Chart:
    """How many invoices are Paid, Unpaid (not yet due) and Overdue (unpaid past the due date)."""
    paid = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == InvoiceStatus.PAID)) or 0
    unpaid = s.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date >= today)) or 0
    overdue = s.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date < today)) or 0
    counts = (paid, unpaid, overdue)
    return Chart("Invoices by status", ("Paid", "Unpaid", "Overdue"),
                 (ChartSeries("Invoices", counts, tuple(format_decimal(c, locale="en_US") for c in counts)),),
                 description=f"{counts[0]} paid, {counts[1]} unpaid and not yet due, {counts[2]} overdue.",
                 label_heading="Status")


@dataclass(frozen=True)
class CronRunRow:
    task: str
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    status: str  # Success, Failed, Running
    error: str


def recent_cron_runs(s: Session, limit: int = CRON_RUNS) -> list[CronRunRow]:
    """The last cron task runs, newest first, with their outcome."""
    runs = s.scalars(select(CronRun).order_by(CronRun.started_at.desc(), CronRun.id.desc()).limit(limit))
    # The first line of an error is its message; a traceback's tail stays in the cron log.
    return [CronRunRow(r.task_name, r.as_of, r.started_at, r.finished_at, str(r.status).capitalize(),
                       (r.error or "").strip().splitlines()[0][:200] if r.error.strip() else "") for r in runs]
