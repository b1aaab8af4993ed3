"""The contract the host enforces on every gateway callback, and the Gateway Log.

The gateway verifies its processor's signature or secret and reads the message
(``gateway_callback``); the host does the rest, the same for every gateway: the gateway must be
active, the invoice must exist and be Unpaid, the currency must be the invoice's, the amount a
positive amount of it (short of the balance: a partial payment; above it: the rest is credit),
and a transaction id is recorded once (the same callback twice answers "duplicate" and records
nothing). Every callback, whatever became of it, is written to the Gateway Log with the values of
the gateway's secret settings and secret parameters masked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select

from hostsim.db.models import GatewayLog
from hostsim.plugins.gateway_types import CallbackRequest, CallbackResult
from hostsim.services.invoices import InvoiceError
from hostsim.services.payments import CurrencyMismatch, DuplicateTransaction, NotUnpaid, UnknownInvoice

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)

MASK = "****"
RAW_MAX = 20000

#: outcome -> HTTP status answered to the processor.
HTTP_STATUS = {
    "paid": 200, "partial": 200, "overpaid": 200, "duplicate": 200, "declined": 200, "ignored": 200,
    "invalid_signature": 403, "unknown_gateway": 404, "inactive_gateway": 404, "unknown_invoice": 404,
    "not_unpaid": 409, "currency_mismatch": 422, "bad_amount": 422, "error": 500,
}
#: outcome -> what the Gateway Log page calls it.
OUTCOME_LABELS = {
    "paid": "Paid", "partial": "Partial payment", "overpaid": "Paid, the rest to credit",
    "duplicate": "Duplicate (already recorded)", "declined": "Declined", "ignored": "Ignored (not a payment)",
    "invalid_signature": "Invalid signature", "unknown_gateway": "Unknown gateway",
    "inactive_gateway": "Gateway not active", "unknown_invoice": "Unknown invoice",
    "not_unpaid": "Invoice not unpaid", "currency_mismatch": "Currency mismatch", "bad_amount": "Invalid amount",
    "error": "Gateway module error",
}


@dataclass(frozen=True)
class CallbackOutcome:
    outcome: str
    message: str
    invoice_id: int | None = None
    payment_id: int | None = None
    redirect_url: str | None = None

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.outcome]


def mask(raw: str, secrets: list[str], secret_params: tuple[str, ...]) -> str:
    """``raw`` with every secret value and every secret parameter's value replaced by the mask."""
    masked = raw
    if secret_params and "=" in raw and not raw.lstrip().startswith(("{", "[")):
        pairs = parse_qsl(raw, keep_blank_values=True)
        masked = urlencode([(k, MASK if k in secret_params else v) for k, v in pairs], safe="*")
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            masked = masked.replace(secret, MASK)
    return masked[:RAW_MAX]


class GatewayCallbacks:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def handle(self, name: str, request: CallbackRequest) -> CallbackOutcome:
        """Process one callback of gateway ``name``; always logged, never raises."""
        secrets: list[str] = []
        secret_params: tuple[str, ...] = ()
        result: CallbackResult | None = None
        try:
            if not self.host.gateways.is_installed(name):
                outcome = CallbackOutcome("unknown_gateway", f"no payment gateway named {name!r}")
            else:
                config = self.host.gateways.config(name)
                secret_params = config.secret_params
                secrets = self.host.payment_gateways.secret_values(name)
                if self.host.payment_gateways.get_active(name) is None:
                    outcome = CallbackOutcome("inactive_gateway", f"{config.display_name} is not active")
                else:
                    result = self.host.gateways.callback(name, self.host.payment_gateways.params(name), request)
                    outcome = self._apply(name, result)
        except Exception as exc:  # a broken gateway module must still leave a log entry
            log.exception("gateway %s: callback failed", name)
            outcome = CallbackOutcome("error", f"the gateway module failed: {type(exc).__name__}")
        self._log(name, request, result, outcome, mask(request.raw_body, secrets, secret_params))
        return outcome

    def _apply(self, name: str, result: CallbackResult) -> CallbackOutcome:
        redirect = result.redirect_url
        if result.status == "invalid_signature":
            return CallbackOutcome("invalid_signature", result.message or "the signature does not verify",
                                   redirect_url=redirect)
        if result.status == "ignored":
            return CallbackOutcome("ignored", result.message or "not a payment", result.invoice_id,
                                   redirect_url=redirect)
        if result.status == "failure":
            return CallbackOutcome("declined", result.message or "the payment was declined", result.invoice_id,
                                   redirect_url=redirect)
        if result.invoice_id is None:
            return CallbackOutcome("unknown_invoice", "the callback names no invoice", redirect_url=redirect)
        amount = result.amount
        try:
            if amount is None or not isinstance(amount, Decimal) or not amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            return CallbackOutcome("bad_amount", "the callback names no valid amount", result.invoice_id,
                                   redirect_url=redirect)
        if not result.currency_code:
            return CallbackOutcome("currency_mismatch", "the callback names no currency", result.invoice_id,
                                   redirect_url=redirect)
        try:
            recorded = self.host.payments.record(result.invoice_id, amount, gateway=name,
                                                 transaction_id=result.transaction_id,
                                                 currency_code=result.currency_code,
                                                 actor=f"Gateway {self.host.payment_gateways.display_name(name)}")
        except DuplicateTransaction as exc:
            return CallbackOutcome("duplicate", exc.message, result.invoice_id, redirect_url=redirect)
        except UnknownInvoice as exc:
            return CallbackOutcome("unknown_invoice", exc.message, result.invoice_id, redirect_url=redirect)
        except NotUnpaid as exc:
            return CallbackOutcome("not_unpaid", exc.message, result.invoice_id, redirect_url=redirect)
        except CurrencyMismatch as exc:
            return CallbackOutcome("currency_mismatch", exc.message, result.invoice_id, redirect_url=redirect)
        except InvoiceError as exc:
            return CallbackOutcome("bad_amount", exc.message, result.invoice_id, redirect_url=redirect)
        if recorded.credited > 0:
            kind, text = "overpaid", f"invoice paid; {recorded.credited} added to credit"
        elif recorded.paid:
            kind, text = "paid", "invoice paid"
        else:
            kind, text = "partial", "partial payment recorded"
        return CallbackOutcome(kind, text, result.invoice_id, recorded.payment_id, redirect_url=redirect)

    def _log(self, name: str, request: CallbackRequest, result: CallbackResult | None, outcome: CallbackOutcome,
             raw: str) -> None:
        with self.host.transaction() as s:
            s.add(GatewayLog(created_at=self.host.clock.now(), gateway=name[:64], invoice_id=outcome.invoice_id,
                             transaction_id=(result.transaction_id if result else "")[:255], outcome=outcome.outcome,
                             message=outcome.message, raw=raw))

    # --- the Gateway Log page --------------------------------------------------------------

    def entries(self, *, gateway: str = "", page: int = 1, per_page: int = 50) -> tuple[list[GatewayLog], int]:
        with self.host.sessions() as s:
            query = select(GatewayLog)
            count = select(func.count(GatewayLog.id))
            if gateway:
                query, count = query.where(GatewayLog.gateway == gateway), count.where(GatewayLog.gateway == gateway)
            total = s.scalar(count) or 0
            rows = list(s.scalars(query.order_by(GatewayLog.id.desc()).offset((page - 1) * per_page).limit(per_page)))
        return rows, total
