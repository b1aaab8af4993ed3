"""The addon's widgets on the host's admin dashboard (``admin_home_widgets``): tokens billed per
month over the last 12 months, from the billing ledger, and the enrolments by status."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import func, select

from hostsim.addon_api import AdminWidget, Chart, ChartSeries, hookimpl
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus, PeriodOutcome

if TYPE_CHECKING:
    from hostsim.addon_api import Host

MONTHS = 12
STATUS_LABELS = {EnrolmentStatus.PENDING: "Pending", EnrolmentStatus.ACTIVE: "Active",
                 EnrolmentStatus.LOCKED: "Locked", EnrolmentStatus.SUSPENDED: "Suspended",
                 EnrolmentStatus.CLOSED: "Closed"}


def _months(today: date) -> list[date]:
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - MONTHS + 1, index + 1)]


def _count(n: int) -> str:
    return format_decimal(n, locale="en_US")


def tokens_chart(host: Host) -> Chart:
    """Tokens invoiced per billed month (the month used, not the month it was invoiced in)."""
    months = _months(host.clock.today())
    with host.sessions() as s:
        rows = dict(s.execute(select(BilledPeriod.period_start, func.sum(BilledPeriod.total_tokens))
                              .where(BilledPeriod.outcome == PeriodOutcome.INVOICED,
                                     BilledPeriod.period_start >= months[0])
                              .group_by(BilledPeriod.period_start)).all())
    values = tuple(int(rows.get(m) or 0) for m in months)
    return Chart("Tokens billed per month", tuple(format_date(m, "MMM yyyy", locale="en_US") for m in months),
                 (ChartSeries("Tokens", values, tuple(_count(v) for v in values)),),
                 description=f"Cloud tokens invoiced for each of the last {MONTHS} months, "
                             f"{_count(sum(values))} in all.", label_heading="Month")


def enrolments_chart(host: Host) -> Chart:
    with host.sessions() as s:
        counts = dict(s.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
    values = tuple(int(counts.get(status, 0)) for status in STATUS_LABELS)
    described = ", ".join(f"{_count(v)} {label.lower()}" for label, v in zip(STATUS_LABELS.values(), values))
    return Chart("Cloud hosting enrolments by status", tuple(STATUS_LABELS.values()),
                 (ChartSeries("Enrolments", values, tuple(_count(v) for v in values)),),
                 description=f"Clients enrolled in cloud hosting: {described}.", label_heading="Status")


@hookimpl
def admin_home_widgets(host: Host) -> list[AdminWidget]:
    return [AdminWidget("Tokens billed per month", chart=tokens_chart(host), order=10),
            AdminWidget("Cloud hosting enrolments", chart=enrolments_chart(host), order=11)]
