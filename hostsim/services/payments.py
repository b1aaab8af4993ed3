"""Recording a payment on an invoice: the one path for admin-recorded and gateway payments.

Under the invoice's row lock: the invoice must exist and be Unpaid, the amount positive in the
invoice's currency (and in the currency the gateway names, when it names one), and a gateway
transaction id is recorded once (checked first, and by the UNIQUE (gateway, txn_key) constraint
when two processes race). A payment short of the balance is partial; one above it pays the
invoice and the rest becomes the client's credit. When the invoice is paid, the receipt is mailed
and ``invoice_paid`` fires, after the commit, in that order (WHMCS's).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hostsim.db.models import Invoice, InvoiceStatus, Payment
from hostsim.db.write_lock import lock_for_write
from hostsim.money import format_money
from hostsim.services.invoices import InvoiceError, check_amount

if TYPE_CHECKING:
    from hostsim.host import Host

ZERO = Decimal("0")


class DuplicateTransaction(InvoiceError):
    """This gateway's transaction id is already recorded (the same callback again)."""


class NotUnpaid(InvoiceError):
    pass


class UnknownInvoice(InvoiceError):
    pass


class CurrencyMismatch(InvoiceError):
    pass


@dataclass(frozen=True)
class RecordedPayment:
    payment_id: int
    invoice_id: int
    amount: Decimal
    paid: bool  # the payment settled the invoice
    credited: Decimal  # the part above the balance, added to the client's credit


class PaymentService:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def record(self, invoice_id: int, amount: Decimal, *, gateway: str = "manual", transaction_id: str = "",
               currency_code: str | None = None, actor: str = "System") -> RecordedPayment:
        transaction_id = (transaction_id or "").strip()
        # Read before the write transaction: the activity log names the method in words.
        method = "" if gateway in ("", "manual") else self.host.payment_gateways.display_name(gateway)
        try:
            with self.host.transaction() as s:
                invoice = lock_for_write(s, Invoice, invoice_id)
                if invoice is None:
                    raise UnknownInvoice("invoice_id", f"no invoice #{invoice_id}")
                # A repeat is recognised before anything else: the first one may have paid it.
                if transaction_id and s.scalars(select(Payment.id).where(
                        Payment.gateway == gateway, Payment.txn_key == transaction_id)).first():
                    raise DuplicateTransaction("transaction_id", f"{transaction_id!r} was already recorded")
                if invoice.status is not InvoiceStatus.UNPAID:
                    raise NotUnpaid("invoice_id", f"invoice #{invoice_id} is {invoice.status.value}, not Unpaid")
                code = invoice.currency.code
                if currency_code is not None and currency_code.upper() != code:
                    raise CurrencyMismatch("currency", f"invoice #{invoice_id} is in {code}, not {currency_code}")
                check_amount(amount, "amount", code, positive=True)
                due = self.host.invoices.balance(invoice)
                payment = Payment(invoice_id=invoice.id, amount=amount, date=self.host.clock.now(), gateway=gateway,
                                  transaction_id=transaction_id, txn_key=transaction_id or None)
                s.add(payment)
                s.flush()
                paid = amount >= due
                credited = amount - due if amount > due else ZERO
                if paid:
                    invoice.status = InvoiceStatus.PAID
                    invoice.date_paid = self.host.clock.now()
                    if gateway not in ("", "manual"):
                        invoice.payment_method = gateway
                if credited > 0:
                    self.host.credit.change_in(s, invoice.client_id, credited, actor=actor, invoice_id=invoice_id,
                                               reason=f"Overpayment of invoice #{invoice_id}")
                self.host.activity.log(
                    f"Payment of {format_money(amount, code)}" + (f" by {method}" if method else "")
                    + f" added to invoice #{invoice_id}"
                    + (" (invoice paid)" if paid else " (partial payment)")
                    + (f"; {format_money(credited, code)} added to credit" if credited > 0 else ""),
                    actor=actor, client_id=invoice.client_id, session=s)
                receipt = self.host.mail.queue(s, self.host.invoices.receipt_emails([invoice_id], session=s)) \
                    if paid else []
                result = RecordedPayment(payment.id, invoice_id, amount, paid, credited)
        except IntegrityError as exc:
            # The UNIQUE (gateway, txn_key) caught a racing twin the check above could not see.
            if transaction_id:
                raise DuplicateTransaction("transaction_id", f"{transaction_id!r} was already recorded") from exc
            raise
        if result.paid:
            self.host.mail.deliver(receipt)  # WHMCS order: the receipt, then the InvoicePaid hook
            self.host.addons.invoice_paid(invoice_id)
        return result

    def for_invoice(self, invoice_id: int) -> list[Payment]:
        with self.host.sessions() as s:
            return list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.id)))
