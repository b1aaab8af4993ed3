"""The client's email and their SolusIO user's email never disagree.

An enrolled client's new email is sent to SolusIO BEFORE the host commits it (the host's
``client_details_validation`` hook, called with the client's row locked), whoever changes it:
the client in Account Details, an admin, an addon. SolusIO's refusal (422: another user has that
address) becomes the form's error on the email field and nothing is saved on either side. When
SolusIO cannot be reached the change is refused too, with "try again later": a change is never
half-applied, and nothing waits in a queue the client cannot see.

Enrolments marked by an earlier version (a change saved while SolusIO was down) are still
retried after every cron run; a retry SolusIO refuses for good (a 4xx other than 429) is
reported once, on the Billing tab and in the activity log, and not tried again.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hostsim.addon_api import Client, hookimpl
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.db.models import Enrolment
from solusio_addon.solusio_api import SolusioError, SolusioValidationError

if TYPE_CHECKING:
    from hostsim.addon_api import CronContext, Host

log = logging.getLogger(__name__)

#: ``Enrolment.last_error`` of an enrolled client starts with this while SolusIO still has the
#: old email (left by earlier versions); ``after_cron_job`` and the next SSO retry the change.
EMAIL_SYNC_MARK = "email change not yet applied in SolusIO: "
#: A retried change SolusIO refused for good: shown on the Billing tab, never retried.
EMAIL_REFUSED_MARK = "email change refused by SolusIO: "
#: Email changes this thread applied in SolusIO for a host transaction still open: client id ->
#: (SolusIO user id, the new email), to undo if that transaction rolls back.
_applied = threading.local()
TAKEN = "This email address cannot be used for your cloud account. Choose another one."
UNREACHABLE = ("Your cloud account could not be updated right now, so your email address was not changed. "
               "Please try again in a few minutes.")


def _enrolled_user(host: "Host", client_id: int) -> int | None:
    """The SolusIO user of an enrolled client (a pending enrolment is provisioned with the
    client's email at that time, so it has nothing to follow)."""
    with host.sessions() as s:
        return s.scalars(select(Enrolment.solusio_user_id).where(Enrolment.client_id == client_id)).first()


@hookimpl
def client_details_validation(host: "Host", client_id: int, changes: dict[str, tuple[Any, Any]]) -> dict[str, str] | None:
    if "email" not in changes:
        return None
    user_id = _enrolled_user(host, client_id)
    if user_id is None:
        return None
    new_email = str(changes["email"][1])
    try:
        with client_from_settings(host, interactive=True) as api:
            api.change_user_email(user_id, new_email)
        _applied.changes = {**getattr(_applied, "changes", {}), client_id: (user_id, new_email)}
    except SolusioValidationError as exc:
        log.info("client #%s: SolusIO refused the email change of user #%s (%s)", client_id, user_id, exc)
        return {"email": TAKEN}
    except (SolusioError, NotConnected) as exc:
        log.warning("client #%s: SolusIO could not be reached to change user #%s's email (%s); change refused",
                    client_id, user_id, exc)
        return {"email": UNREACHABLE}
    return None


@hookimpl
def client_details_reverted(host: "Host", client_id: int, changes: dict[str, tuple[Any, Any]]) -> None:
    """The host did not save an email change SolusIO already took: give the user the old one back."""
    applied = getattr(_applied, "changes", {}).pop(client_id, None)
    if "email" not in changes or applied is None or applied[1] != str(changes["email"][1]):
        return  # this addon did not apply it (it refused, or the client has no SolusIO user)
    user_id, old_email = applied[0], str(changes["email"][0])
    try:
        with client_from_settings(host, interactive=True) as api:
            api.change_user_email(user_id, old_email)
    except (SolusioError, NotConnected) as exc:
        log.warning("client #%s: the email change was not saved, and SolusIO user #%s could not be given its old "
                    "email back (%s); the daily reconcile reports the difference", client_id, user_id, exc)
        return
    log.info("client #%s: the email change was not saved; SolusIO user #%s has %s again", client_id, user_id,
             old_email)


@hookimpl
def client_edit(host: "Host", client_id: int, changes: dict[str, tuple[Any, Any]]) -> None:
    getattr(_applied, "changes", {}).pop(client_id, None)  # saved: nothing to undo
    if "email" not in changes:
        return
    user_id = _enrolled_user(host, client_id)
    if user_id is not None:  # applied in SolusIO before the commit (client_details_validation)
        host.activity.log(f"SolusIO user #{user_id}: email changed to follow client #{client_id}", client_id=client_id)


def sync_email(host: "Host", client_id: int) -> bool | None:
    """Give the client's SolusIO user the client's current email. None: nothing to sync."""
    with host.sessions() as s:
        row = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).first()
        client = s.get(Client, client_id)
        if row is None or row.solusio_user_id is None or client is None:
            return None
        user_id, email, enrolment_id = row.solusio_user_id, client.email, row.id
    try:
        with client_from_settings(host, interactive=True) as api:
            api.change_user_email(user_id, email)
    except (SolusioError, NotConnected) as exc:
        status = exc.status if isinstance(exc, SolusioError) else None
        final = status is not None and 400 <= status < 500 and status != 429
        log.warning("client #%s: the email could not be set on SolusIO user #%s (%s)%s", client_id, user_id, exc,
                    "" if final else "; will retry")
        with host.transaction() as s:
            enrolment = s.get(Enrolment, enrolment_id)
            if enrolment is not None:
                enrolment.last_error = ((EMAIL_REFUSED_MARK if final else EMAIL_SYNC_MARK) + str(exc))[:2000]
            if final:
                host.activity.log(f"SolusIO user #{user_id} refused client #{client_id}'s email {email}: {exc} "
                                  "(not retried: change the client's email, or the user's in SolusIO)",
                                  client_id=client_id, session=s)
        return False
    with host.transaction() as s:
        enrolment = s.get(Enrolment, enrolment_id)
        if enrolment is not None and enrolment.last_error.startswith((EMAIL_SYNC_MARK, EMAIL_REFUSED_MARK)):
            enrolment.last_error = ""
        host.activity.log(f"SolusIO user #{user_id}: email changed to follow client #{client_id}",
                          client_id=client_id, session=s)
    return True


def retry_email_syncs(host: "Host") -> tuple[int, int]:
    """(synced, still failing) over every enrolment marked by a change not yet applied."""
    with host.sessions() as s:
        ids = list(s.scalars(select(Enrolment.client_id).where(Enrolment.last_error.startswith(EMAIL_SYNC_MARK))))
    done = failed = 0
    for client_id in ids:
        if sync_email(host, client_id):
            done += 1
        else:
            failed += 1
    return done, failed


@hookimpl
def after_cron_job(host: "Host", ctx: "CronContext") -> None:
    if not addon_settings.load_connection(host).connected:
        return
    done, failed = retry_email_syncs(host)
    if done or failed:
        ctx.say(1, f"SolusIO email changes: {done} applied, {failed} still failing")
