"""Refunding a recorded payment (WHMCS's invoice Refunds tab): all or part of it, three ways.

A refund is a negative :class:`~hostsim.db.models.Payment` whose ``refund_of_id`` names the
payment it returns, so the invoice balance, the lists of payments and income see it at once.
Methods: ``gateway`` (the payment's gateway refunds it through ``gateway_refund``; its answer
decides, and only a success is recorded, with the gateway's refund transaction id), ``manual``
(the money went back outside the host) and ``credit`` (added to the client's credit).

Everything happens under the invoice's row lock, the gateway call included: two refunds of the
same payment at once are serialised and the second sees what the first left, so together they
never exceed the payment. A form's one-time ``request_key`` makes a double submit one refund.
Refunding everything paid by payments makes the invoice Refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hostsim.db.models import Invoice, InvoiceStatus, Payment
from hostsim.db.write_lock import lock_for_write
from hostsim.money import format_money
from hostsim.plugins.gateway_types import RefundRequest
from hostsim.services.invoices import InvoiceError, check_amount

if TYPE_CHECKING:
    from hostsim.host import Host

ZERO = Decimal("0")
REASON_MAX = 500
#: Refund methods and how the activity log and the pages name them.
METHODS = {"gateway": "through the gateway", "manual": "as a manual refund", "credit": "to the client's credit"}


class RefundError(InvoiceError):
    """A refund refused (field and message); nothing was recorded."""


@dataclass(frozen=True)
class Refundable:
    """A payment that can still be refunded, and how."""

    payment: Payment
    remaining: Decimal
    gateway_refund: bool  # its gateway refunds through the processor


@dataclass(frozen=True)
class RecordedRefund:
    refund_id: int
    payment_id: int
    invoice_id: int
    amount: Decimal  # positive: the money returned
    method: str
    transaction_id: str
    invoice_refunded: bool  # the refund made the invoice Refunded


def refunded_of(s: Session, payment_id: int) -> Decimal:
    """How much of one payment has been refunded (positive)."""
    # Summed here, exactly: SQLite keeps the decimals as text.
    return -sum(s.scalars(select(Payment.amount).where(Payment.refund_of_id == payment_id)), ZERO)


class RefundService:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def supports_gateway_refund(self, gateway: str) -> bool:
        """The payment's gateway is installed and declares ``supports_refund``."""
        if gateway in ("", "manual", "credit") or not self.host.gateways.is_installed(gateway):
            return False
        return self.host.gateways.config(gateway).supports_refund

    def refundable(self, invoice_id: int) -> list[Refundable]:
        """The invoice's payments (not refunds) with something left to refund, oldest first."""
        with self.host.sessions() as s:
            payments = list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id,
                                                            Payment.refund_of_id.is_(None))
                                      .order_by(Payment.id)))
            rows = [(p, p.amount - refunded_of(s, p.id)) for p in payments]
        return [Refundable(p, left, self.supports_gateway_refund(p.gateway)) for p, left in rows if left > 0]

    def for_invoice(self, invoice_id: int) -> list[Payment]:
        """The refunds made on an invoice, oldest first."""
        with self.host.sessions() as s:
            return list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id,
                                                        Payment.refund_of_id.is_not(None)).order_by(Payment.id)))

    def refund(self, payment_id: int, amount: Decimal, *, method: str, reason: str, actor: str = "System",
               request_key: str | None = None) -> RecordedRefund:
        """Refund ``amount`` of one payment by ``method``; raises :class:`RefundError` and records
        nothing when refused (or when the gateway declines, with the gateway's message)."""
        if method not in METHODS:
            raise RefundError("method", "choose how to refund: through the gateway, manual or to credit")
        reason = (reason or "").strip()
        if len(reason) > REASON_MAX or not reason.isprintable():
            raise RefundError("reason", f"at most {REASON_MAX} printable characters")
        request_key = (request_key or "").strip() or None
        if request_key is not None and len(request_key) > 64:
            raise RefundError("request_key", "is too long")
        with self.host.sessions() as s:
            original = s.get(Payment, payment_id)
            if original is None or original.refund_of_id is not None or original.amount <= 0:
                raise RefundError("payment_id", f"no payment #{payment_id} to refund")
            invoice_id, gateway = original.invoice_id, original.gateway
        # Read before the write transaction: gateway settings and names are separate reads.
        params = None
        if method == "gateway":
            if not self.supports_gateway_refund(gateway):
                raise RefundError("method", f"{self.host.payment_gateways.display_name(gateway) or 'this payment'}"
                                            " cannot refund through the gateway")
            params = self.host.payment_gateways.params(gateway)
        gateway_name = self.host.payment_gateways.display_name(gateway)
        try:
            with self.host.transaction() as s:
                invoice = lock_for_write(s, Invoice, invoice_id)
                assert invoice is not None
                if request_key is not None:
                    earlier = s.scalars(select(Payment).where(Payment.request_key == request_key)).first()
                    if earlier is not None:  # the same form twice: the first one stands
                        return self._recorded(earlier, invoice)
                code = invoice.currency.code
                try:
                    check_amount(amount, "amount", code, positive=True)
                except InvoiceError as exc:
                    raise RefundError(exc.field, exc.message) from exc
                original = s.get(Payment, payment_id)
                assert original is not None
                remaining = original.amount - refunded_of(s, payment_id)
                if amount > remaining:
                    raise RefundError("amount", f"more than what remains to refund of this payment "
                                                f"({format_money(remaining, code)})")
                transaction_id = ""
                if method == "gateway":
                    assert params is not None
                    # Under the lock on purpose: a racing refund waits rather than over-refunds.
                    answer = self.host.gateways.refund(gateway, params, RefundRequest(
                        invoice_id=invoice_id, payment_id=payment_id, transaction_id=original.transaction_id,
                        amount=amount, currency_code=code))
                    if answer is None or answer.status != "success":
                        message = answer.message if answer is not None and answer.message else "the refund failed"
                        raise RefundError("method", f"{gateway_name} refused the refund: {message}")
                    transaction_id = answer.transaction_id.strip()[:255]
                refund = Payment(invoice_id=invoice_id, amount=-amount, date=self.host.clock.now(),
                                 gateway=gateway if method == "gateway" else method, transaction_id=transaction_id,
                                 txn_key=transaction_id or None, refund_of_id=payment_id, refund_method=method,
                                 reason=reason, request_key=request_key)
                s.add(refund)
                s.flush()
                if method == "credit":
                    self.host.credit.change_in(s, invoice.client_id, amount, actor=actor, invoice_id=invoice_id,
                                               reason=f"Refund of payment #{payment_id} of invoice #{invoice_id}")
                paid_by_payments = invoice.total - invoice.credit
                refunded_total = -sum(s.scalars(select(Payment.amount).where(
                    Payment.invoice_id == invoice_id, Payment.refund_of_id.is_not(None))), ZERO)
                whole = paid_by_payments > 0 and refunded_total >= paid_by_payments
                if whole and invoice.status is InvoiceStatus.PAID:
                    invoice.status = InvoiceStatus.REFUNDED
                how = f"through {gateway_name}" if method == "gateway" else METHODS[method]
                self.host.activity.log(
                    f"Refund of {format_money(amount, code)} of payment #{payment_id} on invoice #{invoice_id} "
                    f"{how}" + (f" (refund transaction {transaction_id})" if transaction_id else "")
                    + (f": {reason}" if reason else "")
                    + (" (invoice refunded)" if invoice.status is InvoiceStatus.REFUNDED else ""),
                    actor=actor, client_id=invoice.client_id, session=s)
                return self._recorded(refund, invoice)
        except IntegrityError as exc:
            # A racing twin with the same form key or gateway refund id committed first.
            raise RefundError("request_key", "this refund was already recorded") from exc

    @staticmethod
    def _recorded(refund: Payment, invoice: Invoice) -> RecordedRefund:
        assert refund.refund_of_id is not None
        return RecordedRefund(refund.id, refund.refund_of_id, invoice.id, -refund.amount, refund.refund_method,
                              refund.transaction_id, invoice.status is InvoiceStatus.REFUNDED)
