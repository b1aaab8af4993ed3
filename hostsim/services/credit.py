"""Account credit: a per-client balance in the client's currency, with a ledger of every change.

``clients.credit`` is the balance; ``credit_log`` says why it moved. Every change locks the
client's row first (:func:`hostsim.db.write_lock.lock_for_write`), so two applications of the
same credit at once are serialised and the second sees what the first left: the balance never
goes negative and is never spent twice. Lock order is invoice, then client, everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hostsim.db.models import Client, CreditEntry, HostSetting, Invoice, InvoiceStatus
from hostsim.db.on_commit import on_commit
from hostsim.db.write_lock import lock_for_write
from hostsim.money import format_money, minor_unit, round_money

if TYPE_CHECKING:
    from hostsim.host import Host
    from hostsim.services.invoices import CreatedInvoice

REASON_MAX = 500
ZERO = Decimal("0")


class CreditError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CreditApplied:
    invoice_id: int
    amount: Decimal
    paid: bool


def _check(amount: object, code: str) -> Decimal:
    if isinstance(amount, float) or not isinstance(amount, Decimal) or not amount.is_finite():
        raise CreditError("amount", "must be a Decimal amount")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_unit(code):
        raise CreditError("amount", f"{amount} has more than {minor_unit(code)} decimal places for {code}")
    if amount <= 0:
        raise CreditError("amount", "must be greater than zero")
    return amount


class CreditService:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def balance(self, client_id: int) -> Decimal:
        with self.host.sessions() as s:
            value = s.scalar(select(Client.credit).where(Client.id == client_id))
        if value is None:
            raise CreditError("client_id", f"no client #{client_id}")
        return value

    def history(self, client_id: int, limit: int = 100) -> list[CreditEntry]:
        with self.host.sessions() as s:
            return list(s.scalars(select(CreditEntry).where(CreditEntry.client_id == client_id)
                                  .order_by(CreditEntry.id.desc()).limit(limit)))

    # --- changes inside a caller's transaction ---------------------------------------------

    def change_in(self, s: Session, client_id: int, amount: Decimal, *, reason: str, actor: str,
                  invoice_id: int | None = None) -> Decimal:
        """Add (positive) or take (negative) credit under the client's row lock; the new balance.
        Taking more than the balance raises and changes nothing."""
        client = lock_for_write(s, Client, client_id)
        if client is None:
            raise CreditError("client_id", f"no client #{client_id}")
        new = client.credit + amount
        if new < 0:
            raise CreditError("amount", f"the client has only {format_money(client.credit, client.currency.code)} "
                                        "of credit")
        client.credit = new
        s.add(CreditEntry(client_id=client_id, created_at=self.host.clock.now(), amount=amount, balance=new,
                          reason=reason, invoice_id=invoice_id, actor=actor))
        return new

    # --- the admin's add and remove ---------------------------------------------------------

    def adjust(self, client_id: int, amount: Decimal, *, reason: str, actor: str = "System") -> Decimal:
        """Add (positive) or remove (negative) credit with a reason; logged. The new balance."""
        reason = (reason or "").strip()
        if not reason or len(reason) > REASON_MAX or not reason.isprintable():
            raise CreditError("reason", f"say why, in 1 to {REASON_MAX} printable characters")
        with self.host.transaction() as s:
            client = s.get(Client, client_id)
            if client is None:
                raise CreditError("client_id", f"no client #{client_id}")
            code = client.currency.code
            if isinstance(amount, Decimal) and amount < 0:
                _check(-amount, code)
            else:
                _check(amount, code)
            new = self.change_in(s, client_id, amount, reason=reason, actor=actor)
            verb = "added" if amount > 0 else "removed"
            self.host.activity.log(f"Credit of {format_money(abs(amount), code)} {verb} ({reason}); balance "
                                   f"{format_money(new, code)}", actor=actor, client_id=client_id, session=s)
        return new

    # --- applying credit to an invoice ------------------------------------------------------

    def apply(self, invoice_id: int, amount: Decimal | None = None, *, client_id: int | None = None,
              actor: str = "System") -> CreditApplied:
        """Apply credit to an Unpaid invoice: ``amount`` or as much as covers its balance.

        ``client_id``: the client asking (a client may only spend on their own invoices).
        """
        with self.host.transaction() as s:
            invoice = lock_for_write(s, Invoice, invoice_id)
            if invoice is None or (client_id is not None and invoice.client_id != client_id):
                raise CreditError("invoice_id", f"no invoice #{invoice_id}")
            if invoice.status is not InvoiceStatus.UNPAID:
                raise CreditError("invoice_id", f"invoice #{invoice_id} is {invoice.status.value}, not Unpaid")
            code = invoice.currency.code
            due = self.host.invoices.balance(invoice)
            client = lock_for_write(s, Client, invoice.client_id)
            assert client is not None
            available = client.credit
            if amount is None:
                amount = round_money(min(due, available), code)  # stored with 4 places; money has the currency's
                if amount <= 0:
                    raise CreditError("amount", "there is no credit to apply" if due > 0 else "nothing is due")
            _check(amount, code)
            if amount > due:
                raise CreditError("amount", f"more than the balance due ({format_money(due, code)})")
            self.change_in(s, invoice.client_id, -amount, reason=f"Credit applied to invoice #{invoice_id}",
                           actor=actor, invoice_id=invoice_id)
            invoice.credit += amount
            paid = amount == due
            self.host.activity.log(f"Credit of {format_money(amount, code)} applied to invoice #{invoice_id}"
                                   + (" (invoice paid)" if paid else ""), actor=actor,
                                   client_id=invoice.client_id, session=s)
            receipt: list[int] = []
            if paid:
                invoice.status = InvoiceStatus.PAID
                invoice.date_paid = self.host.clock.now()
                invoice.payment_method = invoice.payment_method or "credit"
                receipt = self.host.mail.queue(s, self.host.invoices.receipt_emails([invoice_id], session=s))
        if paid:
            self.host.mail.deliver(receipt)
            self.host.addons.invoice_paid(invoice_id)
        return CreditApplied(invoice_id, amount, paid)

    def auto_apply_enabled(self, s: Session) -> bool:
        row = s.get(HostSetting, "credit_auto_apply")
        return row is not None and row.value == "on"

    def apply_to_new(self, s: Session, created: Sequence["CreatedInvoice"]) -> dict[int, Decimal]:
        """Spend available credit on invoices just created in ``s`` (same transaction). One query
        finds the clients with credit; only theirs are touched. Returns invoice id -> credit."""
        if not created:
            return {}
        client_ids = sorted({c.client_id for c in created})
        applied: dict[int, Decimal] = {}
        with_credit: list[int] = []
        for start in range(0, len(client_ids), 1000):  # IN lists stay a sane size
            chunk = client_ids[start:start + 1000]
            # != 0, not > 0: SQLite keeps the exact decimal as text (the balance is never negative).
            with_credit += list(s.scalars(select(Client.id).where(Client.id.in_(chunk), Client.credit != ZERO)))
        if not with_credit:
            return applied
        wanted = set(with_credit)
        paid: list[int] = []
        for item in created:
            if item.client_id not in wanted:
                continue
            client = lock_for_write(s, Client, item.client_id)
            invoice = s.get(Invoice, item.id)
            if client is None or invoice is None or invoice.status is not InvoiceStatus.UNPAID:
                continue
            amount = min(client.credit, invoice.total - invoice.credit)
            if amount <= 0:
                continue
            self.change_in(s, item.client_id, -amount, reason=f"Credit applied to invoice #{item.id}",
                           actor="System", invoice_id=item.id)
            invoice.credit += amount
            applied[item.id] = amount
            settled = invoice.credit >= invoice.total
            if settled:
                invoice.status = InvoiceStatus.PAID
                invoice.date_paid = self.host.clock.now()
                invoice.payment_method = invoice.payment_method or "credit"
                paid.append(item.id)
            # Logged like a credit the client applies; no receipt is mailed (WHMCS sends none here).
            self.host.activity.log(f"Credit of {format_money(amount, client.currency.code)} applied to invoice "
                                   f"#{item.id}" + (" (invoice paid)" if settled else ""), actor="System",
                                   client_id=item.client_id, session=s)
        s.flush()
        for invoice_id in paid:
            on_commit(s, lambda invoice_id=invoice_id: self.host.addons.invoice_paid(invoice_id))  # type: ignore[misc]
        return applied
