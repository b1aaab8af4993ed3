"""The ledger: one BilledPeriod per client and month, written with the invoice, atomically.

Never twice, by construction: the row is inserted with the dialect's "insert, or do nothing on
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

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from hostsim.services.invoices import NewItem
from solusio_addon.billing.lines import ITEM_TYPE, Line
from solusio_addon.billing.periods import Period
from solusio_addon.db.models import BilledPeriod, PeriodOutcome, UsageLine

if TYPE_CHECKING:
    from hostsim.host import Host


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


def _insert_ignoring_duplicates(session: Session, values: dict) -> Insert:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(BilledPeriod).values(**values).on_conflict_do_nothing(
            index_elements=["client_id", "period_start"])
    if name == "sqlite":
        return sqlite.insert(BilledPeriod).values(**values).on_conflict_do_nothing(
            index_elements=["client_id", "period_start"])
    if name in ("mysql", "mariadb"):
        return mysql.insert(BilledPeriod).values(**values).prefix_with("IGNORE")
    raise NotImplementedError(f"no duplicate-ignoring insert for {name}")


def record_period(host: "Host", session: Session, *, client_id: int, solusio_user_id: int, period: Period,
                  lines: Sequence[Line], currency_code: str, token_price: Decimal, total_tokens: int,
                  invoice_date: date, due_date: date) -> RecordResult:
    """Claim (client, period) and, when there is usage, add its invoice, in ``session``.

    The caller owns the transaction: commit makes the claim and the invoice visible together.
    """
    claim = _insert_ignoring_duplicates(session, {
        "client_id": client_id, "solusio_user_id": solusio_user_id, "period_start": period.start,
        "period_end": period.end, "outcome": (PeriodOutcome.INVOICED if lines else PeriodOutcome.NO_USAGE).value,
        "currency_code": currency_code, "token_price": token_price, "total_tokens": total_tokens,
        "created_at": host.clock.now(),
    })
    # RETURNING gives the new id, or nothing when the key was taken (rowcount is unreliable
    # with RETURNING on some drivers).
    billed_id = session.execute(claim.returning(BilledPeriod.id)).scalar_one_or_none()
    if billed_id is None:
        return RecordResult(Recorded.ALREADY_BILLED)
    if not lines:
        return RecordResult(Recorded.NO_USAGE, billed_id)
    invoice = host.invoices.create(
        session, client_id=client_id, invoice_date=invoice_date, due_date=due_date,
        items=[NewItem(line.description, line.amount, ITEM_TYPE, billed_id) for line in lines],
        notes=f"SolusIO usage {period.label}")
    session.add_all(UsageLine(
        billed_period_id=billed_id, invoice_item_id=item.id, resource_type=line.resource_type,
        server_id=line.server_id, server_name=line.server_name, plan_name=line.plan_name, hours=line.hours,
        tokens=line.tokens, capped=line.capped, tokens_per_month=line.tokens_per_month,
        unit_price=line.unit_price, amount=line.amount) for line, item in zip(lines, invoice.items))
    session.execute(update(BilledPeriod).where(BilledPeriod.id == billed_id).values(invoice_id=invoice.id))
    return RecordResult(Recorded.INVOICED, billed_id, invoice.id, invoice.total)


def addon_invoice_ids(session: Session, client_id: int) -> list[int]:
    return list(session.scalars(select(BilledPeriod.invoice_id).where(
        BilledPeriod.client_id == client_id, BilledPeriod.invoice_id.is_not(None))))


def is_addon_invoice(session: Session, invoice_id: int) -> bool:
    return session.scalars(select(BilledPeriod.id).where(BilledPeriod.invoice_id == invoice_id)).first() is not None


__all__ = ["RecordResult", "Recorded", "addon_invoice_ids", "is_addon_invoice", "record_period"]
