"""Changing a client's currency from its admin page (only while it has no invoices)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hostsim.services.client_currency import change_currency
from hostsim.services.clients import ClientError
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required
from hostsim.web.context import current_admin, get_host


@bp.post("/clients/<int:client_id>/currency")
@admin_required
def client_currency(client_id: int) -> Response:
    admin = current_admin()
    assert admin is not None
    code = request.form.get("currency", "")[:10]
    try:
        changed = change_currency(get_host(), client_id, code, actor=admin.username)
    except ClientError as exc:
        if exc.field == "client_id":
            abort(404)
        flash(f"The currency was not changed: {exc.message}", "error")
    else:
        flash(f"Currency changed to {code.strip().upper()}." if changed else "The client already has that currency.",
              "success")
    return redirect(url_for("admin.client", client_id=client_id))
