"""The SolusIO panel on the host's admin client page (``admin_area_client_summary_page``) and its
actions: lock, unlock, suspend, unsuspend by hand, the exempt switch and re-sending the email.

The panel shows the enrolment as stored (status, SolusIO user, exempt flag, last status change)
and the user as SolusIO has it now (status, limit group), read when the page is shown. A status
change by hand goes through the same two steps as the SolusioAutomation task: SolusIO first
(``set_user_status``), then ``apply_status`` records it, so the enrolment and SolusIO never
disagree when SolusIO refuses. The actions are an admin-only, CSRF-protected blueprint route:
admins whose role group may open the SolusIO page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.addon_api import Client, hookimpl
from hostsim.addon_api.web import admin_may_open, csrf_token, current_admin_id, current_admin_username, render_fragment
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.admin.connection import describe_error
from solusio_addon.billing import status as billing_status
from solusio_addon.billing.lifecycle import apply_status
from solusio_addon.billing.overdue import Decision
from solusio_addon.clientarea.email_sync import sync_email
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioError, User

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)

MODULE = addon_settings.MODULE
#: action -> (the status it gives, the statuses it applies to, what the log and message call it)
STATUS_ACTIONS: dict[str, tuple[EnrolmentStatus, tuple[EnrolmentStatus, ...], str]] = {
    "lock": (EnrolmentStatus.LOCKED, (EnrolmentStatus.ACTIVE,), "locked"),
    "unlock": (EnrolmentStatus.ACTIVE, (EnrolmentStatus.LOCKED,), "unlocked"),
    "suspend": (EnrolmentStatus.SUSPENDED, (EnrolmentStatus.ACTIVE, EnrolmentStatus.LOCKED), "suspended"),
    "unsuspend": (EnrolmentStatus.ACTIVE, (EnrolmentStatus.SUSPENDED,), "unsuspended"),
}
OTHER_ACTIONS = ("exempt_on", "exempt_off", "resync_email")
#: The human name of each enrolment status, as the panel shows it.
STATUS_LABELS = {EnrolmentStatus.PENDING: "Pending", EnrolmentStatus.ACTIVE: "Active",
                 EnrolmentStatus.LOCKED: "Locked", EnrolmentStatus.SUSPENDED: "Suspended",
                 EnrolmentStatus.CLOSED: "Closed"}


def _enrolment(host: "Host", client_id: int) -> Enrolment | None:
    with host.sessions() as s:
        row = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).first()
        if row is not None:
            s.expunge(row)
        return row


def _remote_user(host: "Host", user_id: int) -> tuple[User | None, str]:
    """The SolusIO user as SolusIO has it now, or why it could not be read."""
    try:
        with client_from_settings(host, interactive=True) as api:
            return api.get_user(user_id), ""
    except NotConnected as exc:
        return None, str(exc)
    except SolusioError as exc:
        return None, describe_error(exc)


@hookimpl
def admin_area_client_summary_page(host: "Host", client_id: int, admin_id: int) -> str | None:
    if not admin_may_open(MODULE):
        return None  # an admin without access to SolusIO sees nothing of it
    enrolment = _enrolment(host, client_id)
    user, problem = (None, "")
    if enrolment is not None and enrolment.solusio_user_id is not None:
        user, problem = _remote_user(host, enrolment.solusio_user_id)
    actions = []
    if enrolment is not None and enrolment.solusio_user_id is not None:
        actions = [name for name, (_to, froms, _word) in STATUS_ACTIONS.items() if enrolment.status in froms]
    return render_fragment(host.templates.template_name(MODULE, "admin/_client_panel"), enrolment=enrolment,
                           user=user, problem=problem, actions=actions, labels=STATUS_LABELS, client_id=client_id,
                           action_url=url_for("solusio.client_admin.enrolment_action", client_id=client_id),
                           csrf_token=csrf_token)


def create_blueprint(host: "Host") -> Blueprint:
    """The panel's actions (CSRF-protected, for admins whose role group may open SolusIO)."""
    bp = Blueprint("client_admin", __name__)

    @bp.post("/admin/clients/<int:client_id>/enrolment")
    def enrolment_action(client_id: int) -> Response:
        if not admin_may_open(MODULE):
            abort(403)
        actor = current_admin_username() or "Admin"
        action = request.form.get("action", "")
        with host.sessions() as s:
            if s.get(Client, client_id) is None:
                abort(404)
        if action in STATUS_ACTIONS:
            _change_status(host, client_id, action, actor)
        elif action in ("exempt_on", "exempt_off"):
            _set_exempt(host, client_id, action == "exempt_on", actor)
        elif action == "resync_email":
            _resync_email(host, client_id, actor)
        else:
            flash("Choose one of the SolusIO actions.", "error")
        return redirect(url_for("admin.client", client_id=client_id) + "#solusio")

    return bp


def _change_status(host: "Host", client_id: int, action: str, actor: str) -> None:
    wanted, froms, word = STATUS_ACTIONS[action]
    enrolment = _enrolment(host, client_id)
    if enrolment is None or enrolment.solusio_user_id is None:
        flash("Nothing was changed: the client has no SolusIO user.", "error")
        return
    if enrolment.status not in froms:
        flash(f"Nothing was changed: the SolusIO user is {STATUS_LABELS[enrolment.status]}.", "error")
        return
    try:
        with client_from_settings(host, interactive=True) as api:
            api.set_user_status(enrolment.solusio_user_id, wanted.value)
    except (SolusioError, NotConnected) as exc:
        reason = describe_error(exc) if isinstance(exc, SolusioError) else str(exc)
        flash(f"Nothing was changed: SolusIO did not take the change ({reason}).", "error")
        return
    apply_status(host, client_id, enrolment.status, Decision(wanted, None, f"{word} by admin {actor}"),
                 actor=actor, admin_id=current_admin_id(), notify=False)
    flash(f"SolusIO user #{enrolment.solusio_user_id} {word}. The client was not emailed; the next "
          "SolusioAutomation run applies the overdue rules again (exempt the client to keep it active).", "success")


def _set_exempt(host: "Host", client_id: int, exempt: bool, actor: str) -> None:
    try:
        changed = billing_status.set_exempt(host, client_id, exempt, actor=actor, admin_id=current_admin_id())
    except billing_status.NotEnrolled:
        flash("Nothing was changed: the client is not enrolled in SolusIO post-pay.", "error")
        return
    what = "exempt from" if exempt else "no longer exempt from"
    flash(f"The client is now {what} automatic lock and suspend." if changed else "No change.",
          "success" if changed else "info")


def _resync_email(host: "Host", client_id: int, actor: str) -> None:
    host.activity.log(f"Addon solusio: client #{client_id}'s email re-sent to SolusIO by admin {actor}", actor=actor,
                      admin_id=current_admin_id(), client_id=client_id)
    done = sync_email(host, client_id)
    if done is None:
        flash("Nothing was sent: the client has no SolusIO user.", "error")
    elif done:
        flash("The SolusIO user now has the client's email address.", "success")
    else:
        flash("SolusIO did not take the email address; the panel shows why.", "error")
