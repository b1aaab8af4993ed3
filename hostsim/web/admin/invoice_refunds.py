"""The Refund section of an admin invoice page (WHMCS's Refunds tab): refund a payment, list refunds.

The refund service checks and records it (:mod:`hostsim.services.refunds`); the form carries a
one-time key so a double submit records one refund, and a refused refund changes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hostsim.db.models import Invoice
from hostsim.host import Host
from hostsim.money import format_money, minor_unit, parse_decimal, round_money
from hostsim.services.refunds import METHODS, RefundError
from hostsim.web.admin import bp
from hostsim.web.admin.billing import GATEWAYS
from hostsim.web.auth import admin_required
from hostsim.web.context import current_admin, get_host
from hostsim.web.forms import HOST_LABELS
from hostsim.web.invoice_pages import method_namer, pay_to

FIELDS = ("payment_id", "amount", "method", "reason", "request_key")


def refund_panel(host: Host, invoice: Invoice, form: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None) -> dict[str, Any]:
    """What the Refund section shows: refundable payments, the form (defaults: the first
    payment, all that remains of it, manual), the refunds made."""
    code = invoice.currency.code
    names = method_namer(host)
    refundable = host.refunds.refundable(invoice.id)
    choices = [{"id": str(r.payment.id), "remaining": str(round_money(r.remaining, code)),
                "label": f"#{r.payment.id} {names(r.payment.gateway)} "
                         f"{r.payment.transaction_id} ({format_money(r.remaining, code)} refundable)".replace("  ", " "),
                "gateway": names(r.payment.gateway) if r.gateway_refund else ""} for r in refundable]
    default = choices[0] if choices else None
    values = {"payment_id": default["id"] if default else "", "amount": default["remaining"] if default else "",
              "method": "manual", "reason": "", "request_key": secrets.token_hex(16)}
    if form:
        values.update(form)
    chosen = next((c for c in choices if c["id"] == values["payment_id"]), default)
    methods = [(m, f"Through {chosen['gateway']}" if m == "gateway" and chosen else label)
               for m, label in (("gateway", ""), ("manual", "Record a manual refund"),
                                ("credit", "Add to the client's credit"))
               if m != "gateway" or (chosen and chosen["gateway"])]
    return {"refund_choices": choices, "refund_form": values, "refund_errors": errors or {},
            "refund_methods": methods, "refunds": host.refunds.for_invoice(invoice.id), "refund_method_names": METHODS}


@bp.post("/invoices/<int:invoice_id>/refund")
@admin_required
def invoice_refund(invoice_id: int) -> Response | tuple[str, int]:
    host = get_host()
    admin = current_admin()
    assert admin is not None
    inv = host.invoices.get(invoice_id)
    if inv is None:
        abort(404)
    code = inv.currency.code
    form = {k: request.form.get(k, "").strip() for k in FIELDS}
    errors: dict[str, str] = {}
    try:
        if form["payment_id"] not in {str(p.id) for p in inv.payments if p.refund_of_id is None}:
            raise RefundError("payment_id", "choose a payment of this invoice")
        amount = parse_decimal(form["amount"], places=minor_unit(code), field="amount")
        done = host.refunds.refund(int(form["payment_id"]), amount, method=form["method"], reason=form["reason"],
                                   actor=admin.username, request_key=form["request_key"] or None)
    except RefundError as exc:
        field = exc.field if exc.field in FIELDS else "method"
        errors[field] = f"{HOST_LABELS.get(field, field)}: {exc.message}"
    except ValueError as exc:  # parse_decimal: "amount: ..."
        _name, _, message = str(exc).partition(": ")
        errors["amount"] = f"{HOST_LABELS['amount']}: {message or exc}"
    else:
        flash(f"Refund of {format_money(done.amount, code)} recorded."
              + (" The invoice is now Refunded." if done.invoice_refunded else ""), "success")
        return redirect(url_for("admin.invoice", invoice_id=invoice_id) + "#refund")
    form["request_key"] = form["request_key"] or secrets.token_hex(16)
    return render_template("admin/invoice.html", invoice=inv, balance=host.invoices.balance(inv),
                           today=host.clock.today(), errors={}, form={"amount": "", "gateway": "manual",
                                                                      "transaction_id": ""},
                           gateways=GATEWAYS, pay_to=pay_to(host), method_name=method_namer(host),
                           **refund_panel(host, inv, form, errors)), 400
