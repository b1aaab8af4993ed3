"""Editing a client's profile from its admin page: every field in one form, every problem at once.

The rules are the client service's (:mod:`hostsim.services.client_profile`); this view only maps
them onto the form with the fields' human names.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hostsim.services.client_profile import PROFILE_FIELDS, ProfileRefused, save_profile
from hostsim.services.clients import ClientError
from hostsim.web.admin import bp
from hostsim.web.admin.billing import render_client
from hostsim.web.auth import admin_required
from hostsim.web.context import current_admin, get_host
from hostsim.web.forms import HOST_LABELS

#: The longest value the form takes of each field (the service has the real limits).
MAX_INPUT = {"address": 600}


@bp.post("/clients/<int:client_id>/profile")
@admin_required
def client_profile(client_id: int) -> Response | tuple[str, int]:
    admin = current_admin()
    assert admin is not None
    form = {k: request.form.get(k, "")[:MAX_INPUT.get(k, 300)] for k in PROFILE_FIELDS if k in request.form}
    try:
        saved = save_profile(get_host(), client_id, form, actor=admin.username)
    except ClientError as exc:
        if exc.field == "client_id":
            abort(404)
        raise
    except ProfileRefused as exc:
        errors = {field: f"{HOST_LABELS.get(field, field)}: {message}" for field, message in exc.errors.items()}
        return render_client(client_id, profile_form=form, profile_errors=errors, status=400)
    flash("Profile saved." if saved.changes else "No change.", "success" if saved.changes else "info")
    return redirect(url_for("admin.client", client_id=client_id) + "#profile")
