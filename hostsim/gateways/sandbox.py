"""The SANDBOX card gateway: a hosted payment page served by the host, for demos and tests.

No money moves. Pay Now sends the client to ``/modules/gateways/sandbox/pay`` with the invoice,
amount and currency signed by the host; the page takes a test card (4242 4242 4242 4242 is
approved, 4000 0000 0000 0002 declined) and posts a signed callback to
``/modules/gateways/callback/sandbox`` exactly as an external processor's hosted page would
(HMAC-SHA256 over the fields). Inactive until an admin activates it; named a sandbox everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Mapping

from flask import Blueprint, abort, render_template_string, request

from hostsim.money import format_money
from hostsim.plugins.gateway_types import (
    CallbackRequest,
    CallbackResult,
    GatewayConfig,
    GatewayParams,
    PayableInvoice,
    PaymentForm,
    RefundRequest,
    RefundResult,
)
from hostsim.plugins.markers import hookimpl
from hostsim.plugins.types import ConfigField

if TYPE_CHECKING:
    from hostsim.addon_api.host import Host

NAME = "sandbox"
APPROVED_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
#: The fields the host signs for the hosted page, and the page signs for the callback.
REQUEST_FIELDS = ("invoice_id", "amount", "currency")
CALLBACK_FIELDS = ("invoice_id", "amount", "currency", "transaction_id", "status", "card_last4")


@hookimpl
def gateway_config() -> GatewayConfig:
    return GatewayConfig(
        display_name="Card (Sandbox)",
        description="SANDBOX card payments for demos and tests: a hosted page, signed callbacks, no real money.",
        fields=(ConfigField("secret", "Signing secret", "password",
                            description="HMAC key of the sandbox's requests and callbacks; empty uses a key "
                                        "derived from this instance's secret"),),
        secret_params=("card_number",),
        supports_refund=True,
    )


def _key(host: "Host", params: GatewayParams) -> bytes:
    secret = params.settings.get("secret", "")
    return secret.encode() if secret else host.secrets.derive_key("sandbox gateway signatures")


def sign(key: bytes, values: Mapping[str, str], fields: tuple[str, ...]) -> str:
    message = "\n".join(f"{f}={values.get(f, '')}" for f in fields)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _verified(key: bytes, values: Mapping[str, str], fields: tuple[str, ...]) -> bool:
    return hmac.compare_digest(sign(key, values, fields), values.get("signature", ""))


@hookimpl
def gateway_payment_form(host: "Host", params: GatewayParams, invoice: PayableInvoice) -> PaymentForm:
    values = {"invoice_id": str(invoice.id), "amount": str(invoice.balance), "currency": invoice.currency_code}
    values["signature"] = sign(_key(host, params), values, REQUEST_FIELDS)
    return PaymentForm(action=f"{params.base_url}/modules/gateways/{NAME}/pay", fields=values, method="get",
                       button_label="Pay Now")


@hookimpl
def gateway_callback(host: "Host", params: GatewayParams, request: CallbackRequest) -> CallbackResult:
    values = request.params
    if not _verified(_key(host, params), values, CALLBACK_FIELDS):
        return CallbackResult("invalid_signature", message="the sandbox signature does not verify")
    try:
        invoice_id = int(values.get("invoice_id", ""))
        amount = Decimal(values.get("amount", ""))
    except (ValueError, InvalidOperation):
        return CallbackResult("failure", message="the callback's invoice or amount is not a number")
    back = f"{params.base_url}/clientarea/invoices/{invoice_id}"
    if values.get("status") != "approved":
        return CallbackResult("failure", invoice_id=invoice_id, transaction_id=values.get("transaction_id", ""),
                              message="the sandbox card was declined", redirect_url=back + "?payment=declined")
    return CallbackResult("success", invoice_id=invoice_id, transaction_id=values.get("transaction_id", ""),
                          amount=amount, currency_code=values.get("currency", ""),
                          message=f"sandbox card ending {values.get('card_last4', '')}",
                          redirect_url=back + "?payment=done")


@hookimpl
def gateway_refund(host: "Host", params: GatewayParams, refund: RefundRequest) -> RefundResult:
    # A sandbox: approve whatever its own page approved, move nothing. Declined card payments are
    # never recorded, so any id the hosted page did not issue is unknown here.
    txn = refund.transaction_id
    if not txn.startswith("sbx_") or len(txn) <= 4:
        return RefundResult("error", message=f"the sandbox has no approved transaction {txn or '(none)'}")
    return RefundResult("success", transaction_id="sbxr_" + secrets.token_hex(10),
                        message=f"sandbox refund of {format_money(refund.amount, refund.currency_code)}")


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SANDBOX payment page</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto}.banner{background:#fde68a;padding:.5rem 1rem;
border-radius:.3rem}label,input,button{display:block;margin:.5rem 0}input{padding:.4rem;width:100%}
button{padding:.5rem 1.2rem}</style></head><body>
<p class="banner"><strong>SANDBOX</strong> card gateway: no real money moves. Test cards: 4242 4242 4242 4242
(approved), 4000 0000 0000 0002 (declined).</p>
{% if done %}
<h1>{{ 'Payment approved' if status == 'approved' else 'Payment declined' }}</h1>
<p>Returning you to {{ company }}&hellip;</p>
<form id="callback" method="post" action="{{ callback_url }}">
{% for k, v in fields.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<button type="submit">Return to {{ company }}</button></form>
<script>document.getElementById('callback').submit();</script>
{% else %}
<h1>Pay {{ amount }}</h1><p>Invoice #{{ invoice_id }} of {{ company }}</p>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post">
{% for k, v in request_fields.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="off" required>
<button type="submit">Pay {{ amount }}</button></form>
{% endif %}
</body></html>"""


@hookimpl
def gateway_blueprint(host: "Host") -> Blueprint:
    bp = Blueprint("gateway_sandbox", __name__)
    bp.csrf_exempt = True  # type: ignore[attr-defined]  # signed by HMAC instead, like a processor's page

    @bp.route("/pay", methods=["GET", "POST"])
    def pay() -> str:
        params = host.payments.gateway_params(NAME)
        if params is None:
            abort(404)  # inactive: the sandbox does not exist
        source = request.values
        values = {f: source.get(f, "") for f in (*REQUEST_FIELDS, "signature")}
        key = _key(host, params)
        if not _verified(key, values, REQUEST_FIELDS):
            abort(400, "the payment request's signature does not verify")
        try:
            shown = format_money(Decimal(values["amount"]), values["currency"])
        except (InvalidOperation, ValueError):
            abort(400, "the payment request's amount is not a number")
        context = {"company": params.company_name, "amount": shown, "invoice_id": values["invoice_id"],
                   "request_fields": values, "done": False, "error": ""}
        if request.method == "POST":
            card = "".join(ch for ch in request.form.get("card_number", "") if ch.isdigit())
            if card not in (APPROVED_CARD, DECLINED_CARD):
                context["error"] = "Card number: use a sandbox test card (4242 4242 4242 4242 or 4000 0000 0000 0002)"
            else:
                fields = {"invoice_id": values["invoice_id"], "amount": values["amount"],
                          "currency": values["currency"], "transaction_id": "sbx_" + secrets.token_hex(10),
                          "status": "approved" if card == APPROVED_CARD else "declined", "card_last4": card[-4:]}
                fields["signature"] = sign(key, fields, CALLBACK_FIELDS)
                context.update(done=True, status=fields["status"], fields=fields, callback_url=params.callback_url)
        return render_template_string(PAGE, **context)

    return bp
