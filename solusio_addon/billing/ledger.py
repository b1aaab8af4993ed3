"""The ledger: one BilledPeriod per client and month, written with the invoice, atomically.

Never twice, by construction: each row is inserted with the dialect's "insert, or do nothing on
a duplicate key" (ON CONFLICT DO NOTHING on SQLite and PostgreSQL, INSERT IGNORE on MariaDB)
against the UNIQUE (client_id, period_start) constraint. A concurrent writer blocks on the key
until the first commits and then inserts nothing; a crash rolls back the row and the invoice
together. No "check, then insert".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from sqlalchemy import Insert, bindparam, insert, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from hostsim.addon_api import InvoiceSpec, NewItem, table_of
from solusio_addon.billing.lines import ITEM_TYPE, Line
from solusio_addon.billing.periods import Period
from solusio_addon.db.models import BilledPeriod, PeriodOutcome, UsageLine

if TYPE_CHECKING:
    from hostsim.addon_api import Host


class Recorded(enum.Enum):
    INVOICED = "invoiced"
    NO_USAGE = "no_usage"
    ALREADY_BILLED = "already_billed"


@dataclass(frozen=True)
class RecordResult:
    outcome: Recorded
    billed_period_id: int | None = None
    invoice_id: int | None = None
    total: Decimal = Decimal("0")


@dataclass(frozen=True)
class Entry:
    """What one (client, month) came to: its lines (none: no usage) and how they were priced."""

    client_id: int
    solusio_user_id: int
    period: Period
    lines: Sequence[Line]
    currency_code: str
    token_price: Decimal
    total_tokens: int


def _claim_statement(session: Session) -> Insert:
    """INSERT rows, skipping any whose (client_id, period_start) already exists (executemany:
    SQLAlchemy batches the rows into multi-row statements and gathers what RETURNING gives)."""
    table = table_of(BilledPeriod)
    name = session.get_bind().dialect.name
    if name == "postgresql":
        stmt: Insert = postgresql.insert(table).on_conflict_do_nothing(index_elements=["client_id", "period_start"])
    elif name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["client_id", "period_start"])
    elif name in ("mysql", "mariadb"):
        stmt = mysql.insert(table).prefix_with("IGNORE")
    else:
        raise NotImplementedError(f"no duplicate-ignoring insert for {name}")
    # RETURNING names the rows this statement inserted; rowcount is unreliable with it.
    return stmt.returning(BilledPeriod.id, BilledPeriod.client_id, BilledPeriod.period_start)


def record_batch(host: "Host", session: Session, entries: Sequence[Entry], *, invoice_date: date,
                 due_date: date) -> list[RecordResult]:
    """Claim every (client, month) of ``entries`` and add the invoices of those with usage (and
    their queued emails), in ``session``, with a handful of statements whatever the batch size. The caller commits:
    the claims and the invoices become visible together. Results follow ``entries``' order."""
    if not entries:
        return []
    now = host.clock.now()
    rows = [{"client_id": e.client_id, "solusio_user_id": e.solusio_user_id, "period_start": e.period.start,
             "period_end": e.period.end, "outcome": (PeriodOutcome.INVOICED if e.lines else PeriodOutcome.NO_USAGE),
             "currency_code": e.currency_code, "token_price": e.token_price, "total_tokens": e.total_tokens,
             "created_at": now} for e in entries]
    claimed = {(client_id, start): billed_id
               for billed_id, client_id, start in session.execute(_claim_statement(session), rows).all()}
    billed_ids = [claimed.get((e.client_id, e.period.start)) for e in entries]
    to_invoice = [(e, b) for e, b in zip(entries, billed_ids) if b is not None and e.lines]
    # email=True: each invoice's email is queued in this transaction; the host delivers it after
    # the commit (and its DeliverQueuedMail sweep after a crash), never the addon.
    created = host.invoices.create_many(session, [
        InvoiceSpec(e.client_id, [NewItem(line.description, line.amount, ITEM_TYPE, b, quantity=line.tokens, unit="tokens",
                                        unit_price=line.unit_price) for line in e.lines],
                    invoice_date, due_date, notes=f"SolusIO usage {e.period.label}") for e, b in to_invoice],
        email=True)
    if created:
        session.execute(insert(table_of(UsageLine)), [
            {"billed_period_id": b, "invoice_item_id": item_id, "resource_type": line.resource_type,
             "server_id": line.server_id, "server_name": line.server_name, "plan_name": line.plan_name,
             "hours": line.hours, "tokens": line.tokens, "capped": line.capped,
             "tokens_per_month": line.tokens_per_month, "unit_price": line.unit_price, "amount": line.amount}
            for (e, b), invoice in zip(to_invoice, created) for line, item_id in zip(e.lines, invoice.item_ids)])
        table = table_of(BilledPeriod)
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(invoice_id=bindparam("b_invoice")),
                        [{"b_id": b, "b_invoice": invoice.id} for (_e, b), invoice in zip(to_invoice, created)])
    invoices = {b: invoice for (_e, b), invoice in zip(to_invoice, created)}
    results = []
    for entry, billed_id in zip(entries, billed_ids):
        if billed_id is None:
            results.append(RecordResult(Recorded.ALREADY_BILLED))
        elif billed_id in invoices:
            invoice = invoices[billed_id]
            results.append(RecordResult(Recorded.INVOICED, billed_id, invoice.id, invoice.total))
        else:
            results.append(RecordResult(Recorded.NO_USAGE, billed_id))
    return results


__all__ = ["Entry", "RecordResult", "Recorded", "record_batch"]
