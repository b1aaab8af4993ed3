"""Getting paid on the web: the gateway callback endpoint, the gateways' own pages, and the
client's Pay Now and apply-credit actions behind the invoice page's payment section."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, abort, flash, redirect, render_template_string, request, url_for
from werkzeug.wrappers import Response

from hostsim.db.models import Invoice, InvoiceStatus
from hostsim.host import Host
from hostsim.money import minor_unit, parse_decimal
from hostsim.plugins.gateway_types import CallbackRequest, PaymentForm
from hostsim.services.credit import CreditError
from hostsim.web.auth import client_required
from hostsim.web.context import current_client, get_host
from hostsim.web.security import csrf

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)

AUTOPOST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Redirecting to payment</title></head>
<body><form id="pay" method="post" action="{{ form.action }}">{% for k, v in form.fields.items() %}
<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}<button type="submit">Continue to payment</button>
</form><script>document.getElementById('pay').submit();</script></body></html>"""


@dataclass(frozen=True)
class PaymentMethod:
    name: str
    display_name: str


@dataclass(frozen=True)
class PaymentSection:
    """What ``_invoice_payment.html`` shows for one invoice."""

    payable: bool
    methods: list[PaymentMethod]
    chosen: str
    instructions: str
    credit: Decimal
    currency_code: str


def payment_section(invoice: Invoice) -> PaymentSection:
    host = get_host()
    code = invoice.currency.code
    unpaid = invoice.status is InvoiceStatus.UNPAID
    methods = [PaymentMethod(g.name, g.display_name) for g in host.payment_gateways.active(code)] if unpaid else []
    chosen = request.args.get("method", "") or invoice.payment_method
    if chosen not in {m.name for m in methods}:
        chosen = methods[0].name if methods else ""
    instructions = ""
    if unpaid and chosen:
        with host.sessions() as s:
            fresh = s.get(Invoice, invoice.id)
            assert fresh is not None
            payable = host.payment_gateways.payable(fresh)
        instructions = host.gateways.instructions(chosen, host.payment_gateways.params(chosen), payable).strip()
    credit = host.credit.balance(invoice.client_id) if unpaid else Decimal("0")
    return PaymentSection(unpaid, methods, chosen, instructions, credit, code)


@dataclass(frozen=True)
class PaymentNotice:
    kind: str  # success | info | error (the theme's alert classes)
    text: str


def payment_notice(invoice: Invoice) -> PaymentNotice | None:
    """What the client is told on coming back from a gateway's hosted page (``?payment=``). The
    query only picks the message; the invoice's own status decides what it says."""
    came_back = request.args.get("payment", "")
    unpaid = invoice.status is InvoiceStatus.UNPAID
    if came_back == "declined" and unpaid:
        return PaymentNotice("error", f"Your payment was declined and nothing was charged: invoice #{invoice.id} "
                                      "is still unpaid. Try another card or choose another payment method.")
    if came_back == "done" and invoice.status is InvoiceStatus.PAID:
        return PaymentNotice("success", f"Thank you: your payment was received and invoice #{invoice.id} is paid.")
    if came_back == "done" and unpaid:
        return PaymentNotice("info", f"Invoice #{invoice.id} is not paid yet: a payment shows here once the "
                                     "payment gateway confirms it.")
    return None


@bp.app_context_processor
def _payment_globals() -> dict[str, Any]:
    return {"payment_section": payment_section, "payment_notice": payment_notice}


# --- the callback endpoint ----------------------------------------------------------------------


@bp.route("/modules/gateways/callback/<name>", methods=["GET", "POST"])
def callback(name: str) -> Response | tuple[str, int, dict[str, str]]:
    host = get_host()
    raw = request.get_data(as_text=True)
    params: dict[str, str] = {k: v for k, v in request.values.items()}
    if request.is_json:
        try:
            body = json.loads(raw or "{}")
            if isinstance(body, dict):
                params.update({str(k): str(v) for k, v in body.items()})
        except ValueError:
            pass
    if not raw and request.query_string:
        raw = request.query_string.decode("utf-8", "replace")
    outcome = host.gateway_callbacks.handle(name[:64], CallbackRequest(
        params=params, raw_body=raw, headers=dict(request.headers), remote_addr=request.remote_addr or ""))
    if outcome.redirect_url and outcome.outcome not in ("invalid_signature", "unknown_gateway", "inactive_gateway"):
        return redirect(outcome.redirect_url)
    return f"{outcome.outcome}: {outcome.message}\n", outcome.http_status, {"Content-Type": "text/plain; charset=utf-8"}


csrf.exempt(callback)  # a processor posts it; the gateway verifies its signature instead


# --- the client's actions -----------------------------------------------------------------------


def _own_unpaid(invoice_id: int) -> Invoice:
    client = current_client()
    assert client is not None
    with get_host().sessions() as s:
        invoice = s.get(Invoice, invoice_id)
        if invoice is None or invoice.client_id != client.id:
            abort(404)
        invoice.payments  # loaded while the session is open
        return invoice


@bp.post("/clientarea/invoices/<int:invoice_id>/pay")
@client_required
def pay(invoice_id: int) -> Response | str:
    host = get_host()
    invoice = _own_unpaid(invoice_id)
    back = url_for("client.invoice", invoice_id=invoice_id)
    if invoice.status is not InvoiceStatus.UNPAID:
        flash(f"Invoice #{invoice_id} is {invoice.status.value}: nothing to pay.", "info")
        return redirect(back)
    name = request.form.get("gateway", "")
    if name not in {g.name for g in host.payment_gateways.active(invoice.currency.code)}:
        flash("Payment method: choose one of the methods listed.", "error")
        return redirect(back)
    form: PaymentForm | None = host.gateways.payment_form(name, host.payment_gateways.params(name),
                                                          host.payment_gateways.payable(invoice))
    if form is None:  # offline: the page shows this method's instructions
        return redirect(f"{back}?{urlencode({'method': name})}")
    if form.method == "get":
        return redirect(f"{form.action}?{urlencode(dict(form.fields))}")
    return render_template_string(AUTOPOST, form=form)


@bp.post("/clientarea/invoices/<int:invoice_id>/apply-credit")
@client_required
def apply_credit(invoice_id: int) -> Response:
    host = get_host()
    invoice = _own_unpaid(invoice_id)
    back = url_for("client.invoice", invoice_id=invoice_id)
    text = (request.form.get("amount") or "").strip()
    try:
        amount = parse_decimal(text, places=minor_unit(invoice.currency.code), field="Amount") if text else None
        applied = host.credit.apply(invoice_id, amount, client_id=invoice.client_id,
                                    actor=f"Client {invoice.client.email}")
    except (CreditError, ValueError) as exc:
        flash(f"Credit: {getattr(exc, 'message', exc)}", "error")
        return redirect(back)
    flash(f"Credit applied to invoice #{invoice_id}" + (": the invoice is paid." if applied.paid else "."), "success")
    return redirect(back)


def mount_gateway_blueprints(app: Flask, host: Host) -> None:
    """Each installed gateway's own pages under ``/modules/gateways/<name>/``."""
    for name in host.gateways.installed():
        try:
            gateway_bp = host.gateways.blueprint(name)
        except Exception:  # one broken gateway must not take the site down
            log.exception("gateway %s: gateway_blueprint failed", name)
            continue
        if gateway_bp is not None:
            if getattr(gateway_bp, "csrf_exempt", False):  # a hosted page, HMAC-signed like a processor's
                csrf.exempt(gateway_bp)
            app.register_blueprint(gateway_bp, url_prefix=f"/modules/gateways/{name}")


