"""Closing and reopening a client from its admin page (fires ``client_status_change``)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from hostsim.services.clients import ClientError, close_client, reopen_client
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required
from hostsim.web.context import current_admin, get_host


@bp.post("/clients/<int:client_id>/<any(close, reopen):action>")
@admin_required
def client_status(client_id: int, action: str) -> Response:
    host = get_host()
    admin = current_admin()
    assert admin is not None
    try:
        if action == "close":
            changed = close_client(host, client_id, actor=admin.username)
            flash("Client closed." if changed else "The client was already closed.", "success")
        else:
            changed = reopen_client(host, client_id, actor=admin.username)
            flash("Client reopened." if changed else "The client is not closed.", "success")
    except ClientError as exc:
        if exc.field == "client_id":
            abort(404)
        flash(f"The client's status was not changed: {exc.message}", "error")
    return redirect(url_for("admin.client", client_id=client_id))
