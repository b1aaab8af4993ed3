""""Log in as client": an admin opens the client area as one of its clients, and comes back.

The client login started here carries the admin's id (``hostsim.web.context.impersonation_auth``):
it holds only while that admin is logged in in the same browser, every client-area page shows a
banner with the way back, and it cannot change the client's password or log the client's own
sessions out. The admin's own login is left as it is; coming back ends only the client login.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from hostsim.db.models import Client
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required, client_ip
from hostsim.web.context import (
    DISABLED_STATUSES,
    current_admin,
    current_client,
    get_host,
    impersonation_auth,
    impersonator,
)
from hostsim.web.security import auth_marker, end_session
from hostsim.web.sessions import start_session


@bp.post("/clients/<int:client_id>/login-as")
@admin_required
def client_login_as(client_id: int) -> Response:
    host = get_host()
    admin = current_admin()
    assert admin is not None
    with host.sessions() as s:
        client = s.get(Client, client_id)
        if client is None:
            abort(404)
    if client.status in DISABLED_STATUSES:
        flash(f"{client.full_name} cannot be logged in as: the account is {client.status.value}.", "error")
        return redirect(url_for("admin.client", client_id=client_id))
    host.activity.log(f"Admin {admin.username} logged in as client {client.full_name} (#{client.id})",
                      actor=admin.username, admin_id=admin.id, client_id=client.id, ip=client_ip())
    start_session("client", client.id, impersonation_auth(admin.id, auth_marker(client.password_hash)))
    return redirect(url_for("client.clientarea"))


@bp.post("/clients/login-as/end")
@admin_required
def client_login_as_end() -> Response:
    """Return to admin: end the client login this admin started (a client's own login is left alone)."""
    host = get_host()
    admin = current_admin()
    assert admin is not None
    if impersonator() is None:
        return redirect(url_for("admin.clients"))
    client = current_client()
    assert client is not None
    end_session("client")
    host.activity.log(f"Admin {admin.username} stopped browsing as client {client.full_name} (#{client.id})",
                      actor=admin.username, admin_id=admin.id, client_id=client.id, ip=client_ip())
    flash(f"You are no longer logged in as {client.full_name}.", "info")
    return redirect(url_for("admin.client", client_id=client.id))
