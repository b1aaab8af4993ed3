"""Adding or removing a client's account credit from its admin page, with a reason.

The credit service checks and stores it (the same as ``hostsim credit add``): the balance never
goes negative, and a refused change changes nothing.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hostsim.db.models import Client
from hostsim.money import format_money, minor_unit, parse_decimal
from hostsim.services.credit import CreditError
from hostsim.web.admin import bp
from hostsim.web.admin.billing import render_client
from hostsim.web.auth import admin_required
from hostsim.web.context import current_admin, get_host
from hostsim.web.forms import HOST_LABELS

DIRECTIONS = ("add", "remove")


@bp.post("/clients/<int:client_id>/credit")
@admin_required
def client_credit(client_id: int) -> Response | tuple[str, int]:
    host = get_host()
    admin = current_admin()
    assert admin is not None
    with host.sessions() as s:
        client = s.get(Client, client_id)
        if client is None:
            abort(404)
        code = client.currency.code
    form = {k: request.form.get(k, "").strip() for k in ("amount", "direction", "reason")}
    errors: dict[str, str] = {}
    try:
        if form["direction"] not in DIRECTIONS:
            raise CreditError("direction", "choose Add credit or Remove credit")
        amount = parse_decimal(form["amount"], places=minor_unit(code), field="amount")
        signed = -amount if form["direction"] == "remove" else amount
        balance = host.credit.adjust(client_id, signed, reason=form["reason"], actor=admin.username)
    except CreditError as exc:
        if exc.field == "client_id":
            abort(404)
        errors[exc.field] = f"{HOST_LABELS.get(exc.field, exc.field)}: {exc.message}"
    except ValueError as exc:  # parse_decimal: "amount: ..."
        _name, _, message = str(exc).partition(": ")
        errors["amount"] = f"{HOST_LABELS['amount']}: {message or exc}"
    else:
        verb = "removed" if signed < 0 else "added"
        flash(f"{format_money(amount, code)} of credit {verb}. The balance is now {format_money(balance, code)}.",
              "success")
        return redirect(url_for("admin.client", client_id=client_id) + "#credit")
    return render_client(client_id, credit_form=form, credit_errors=errors, status=400)
