"""The "Cloud usage" page: this month's usage so far, per server, and the past usage invoices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.addon_api import Client, Currency, Invoice, format_money, round_money
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.db.models import BilledPeriod, TokenPrice
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host


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
