"""The "Cloud usage" page: this month's usage so far, per server and per day, and the past usage
invoices."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.addon_api import Client, Currency, Invoice, format_money, round_money
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.db.models import BilledPeriod, TokenPrice
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host
    from solusio_addon.solusio_api import SolusioClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageRow:
    name: str
    kind: str
    plan: str
    hours: int
    tokens: int
    amount: Decimal | None
    amount_text: str


@dataclass(frozen=True)
class PastInvoice:
    invoice_id: int
    period: str
    status: str
    total_text: str


@dataclass
class UsageReport:
    period_start: datetime
    as_of: datetime
    currency: str
    token_price: Decimal | None
    rows: list[UsageRow] = field(default_factory=list)
    total_tokens: int = 0
    total_text: str = ""
    error: str = ""
    invoices: list[PastInvoice] = field(default_factory=list)
    days: list[tuple[date, int]] = field(default_factory=list)  # (day, tokens used that day)


#: Requests in flight at once while the days of the month are read.
DAY_WORKERS = 4


def daily_tokens(api: SolusioClient, user_id: int, start: datetime, end: datetime, month_total: int
                 ) -> list[tuple[date, int]]:
    """Tokens per day of ``[start, end)`` (days in the host's time zone).

    SolusIO caps a server's tokens per calendar month, so a day's tokens are not the usage of that
    day alone (a capped server would be charged again each day): they are the growth of the
    month's usage up to the day's end, ``usage(start, day end) - usage(start, day start)``, which
    sums exactly to the month's total and is 0 on days after a server reached its cap.
    """
    first = start.date()
    days = [first + timedelta(days=k) for k in range((end.astimezone(start.tzinfo).date() - first).days + 1)]
    ends = [datetime.combine(d + timedelta(days=1), time(0), tzinfo=start.tzinfo) for d in days[:-1]]
    with ThreadPoolExecutor(max_workers=DAY_WORKERS) as pool:
        totals = list(pool.map(lambda e: api.usage(user_id, start, e).total_tokens, ends)) + [month_total]
    return [(d, max(0, total - before)) for d, total, before in zip(days, totals, [0, *totals[:-1]])]


def month_to_date(host: Host) -> tuple[datetime, datetime]:
    """[first instant of this month in the host's time zone, now)."""
    now = host.clock.now()
    local = now.astimezone(host.clock.tz)
    start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=host.clock.tz)
    return start, max(now, start + timedelta(seconds=1))


def usage_report(host: Host, client_id: int, solusio_user_id: int) -> UsageReport:
    with host.sessions() as s:
        client = s.get(Client, client_id)
        assert client is not None
        currency = s.get(Currency, client.currency_id)
        assert currency is not None
        price_row = s.get(TokenPrice, currency.id)
        past = s.execute(select(BilledPeriod.period_start, Invoice.id, Invoice.status, Invoice.total)
                         .join(Invoice, Invoice.id == BilledPeriod.invoice_id)
                         .where(BilledPeriod.client_id == client_id)
                         .order_by(BilledPeriod.period_start.desc())).all()
    code, price = currency.code, price_row.price if price_row is not None else None
    start, end = month_to_date(host)
    report = UsageReport(start, end, code, price)
    report.invoices = [PastInvoice(inv_id, period.strftime("%B %Y"), status.value, format_money(total, code))
                       for period, inv_id, status, total in past]
    try:
        with client_from_settings(host, interactive=True) as api:
            usage = api.usage(solusio_user_id, start, end)
            try:
                report.days = daily_tokens(api, solusio_user_id, start, end, usage.total_tokens)
            except SolusioError:
                log.warning("usage per day of SolusIO user %s could not be read", solusio_user_id, exc_info=True)
    except (SolusioError, NotConnected):
        report.error = "This month's usage cannot be read from the cloud control panel right now; please try again later."
        return report
    total = Decimal(0)
    for item in sorted(usage.items, key=lambda i: (i.server_id or 0, i.type != "server", i.name)):
        amount = round_money(Decimal(item.tokens) * price, code) if price is not None else None
        if amount is not None:
            total += amount
        kind = "Additional IPs" if item.type == "additional_ip" else "Server"
        report.rows.append(UsageRow(item.name or f"server #{item.server_id}", kind,
                                    item.plan.name if item.plan else "", item.hours, item.tokens, amount,
                                    format_money(amount, code) if amount is not None else "-"))
        report.total_tokens += item.tokens
    report.total_text = format_money(total, code) if price is not None else ""
    return report
