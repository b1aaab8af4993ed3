"""A host client closed or reopened: its enrolment follows (the host's ``client_status_change``).

Closing: the enrolment is marked CLOSED at once (the host's truth) and the SolusIO user is
suspended at once (SolusIO stops its servers). The month of the closure is invoiced at the next
month-end like every other client's month, through the same ledger (one claim per client and
month), so it is billed exactly once and never lost; months that lie wholly between the closure
and a reopening are never billed.

Reopening: the overdue rules decide the status again (active, or locked/suspended by an invoice
still owed) and SolusIO is given it.

SolusIO unreachable at either moment: the enrolment still changes, the failure is logged, and
the daily reconcile (``billing.reconcile``) gives the SolusIO user the status the enrolment says.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.addon_api import ClientStatus, get_for_update, hookimpl
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.billing.lifecycle import open_addon_invoices
from solusio_addon.billing.overdue import decide
from solusio_addon.db.models import Enrolment, EnrolmentStatus

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)


def _push_status(host: "Host", client_id: int, user_id: int | None, status: str, why: str) -> bool:
    """Give SolusIO user ``user_id`` ``status`` now; a failure is logged for the daily reconcile."""
    if user_id is None:
        return True
    try:
        with client_from_settings(host, interactive=True) as api:
            api.set_user_status(user_id, status)
    except Exception as exc:  # SolusIO down or not connected: the enrolment already says what to do
        reason = str(exc) if not isinstance(exc, NotConnected) else "SolusIO is not connected"
        log.warning("client #%s: SolusIO user #%s could not be set %s (%s)", client_id, user_id, status, reason)
        host.activity.log(f"SolusIO user #{user_id} could not be set {status} ({why}): {reason}; "
                          "the daily reconcile will set it", client_id=client_id)
        return False
    host.activity.log(f"SolusIO user #{user_id} {status}: {why}", client_id=client_id)
    return True


def close_enrolment(host: "Host", client_id: int) -> bool:
    """Mark the client's enrolment closed and suspend its SolusIO user. False: nothing to close."""
    with host.transaction() as s:
        row = s.scalars(select(Enrolment.id).where(Enrolment.client_id == client_id)).first()
        enrolment = get_for_update(s, Enrolment, row) if row is not None else None
        if enrolment is None or enrolment.status is EnrolmentStatus.CLOSED:
            return False
        now = host.clock.now()
        old = enrolment.status
        enrolment.status = EnrolmentStatus.CLOSED
        enrolment.status_invoice_id = None
        enrolment.status_changed_at = now
        enrolment.closed_at, enrolment.reopened_at = now, None
        user_id = enrolment.solusio_user_id
        host.activity.log(f"SolusIO: client #{client_id} closed: enrolment {old.value} -> closed; this month's "
                          "usage is invoiced at the month-end", client_id=client_id, session=s)
    _push_status(host, client_id, user_id, "suspended", f"client #{client_id} closed")
    return True


def reopen_enrolment(host: "Host", client_id: int) -> bool:
    """Give a closed enrolment back the status the overdue rules say. False: it was not closed."""
    policy = policy_from_settings(host)
    owed = open_addon_invoices(host, [client_id]).get(client_id, [])
    with host.transaction() as s:
        row = s.scalars(select(Enrolment.id).where(Enrolment.client_id == client_id)).first()
        enrolment = get_for_update(s, Enrolment, row) if row is not None else None
        if enrolment is None or enrolment.status is not EnrolmentStatus.CLOSED:
            return False
        user_id = enrolment.solusio_user_id
        decision = decide(host.clock.today(), owed, lock_days=policy.lock_days, suspend_days=policy.suspend_days,
                          exempt=enrolment.exempt_from_overdue)
        # Never provisioned: back to pending, so SolusioAutomation finishes it.
        status = decision.status if user_id is not None else EnrolmentStatus.PENDING
        now = host.clock.now()
        enrolment.status = status
        enrolment.status_invoice_id = decision.invoice_id if user_id is not None else None
        enrolment.status_changed_at = now
        enrolment.reopened_at = now
        host.activity.log(f"SolusIO: client #{client_id} reopened: enrolment closed -> {status.value} "
                          f"({decision.reason})", client_id=client_id, session=s)
    if status is not EnrolmentStatus.PENDING:
        _push_status(host, client_id, user_id, status.value, f"client #{client_id} reopened, {decision.reason}")
    return True


@hookimpl
def client_status_change(host: "Host", client_id: int, old_status: ClientStatus, new_status: ClientStatus) -> None:
    if new_status is ClientStatus.CLOSED:
        close_enrolment(host, client_id)
    elif old_status is ClientStatus.CLOSED:
        reopen_enrolment(host, client_id)
