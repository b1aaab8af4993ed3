"""Enrolments: a host client joined to a SolusIO user. Provisioning is safe to repeat.

Signup creates a PENDING enrolment holding the chosen password (encrypted); ``provision`` finds
the SolusIO user by exact email or creates it (the client's id as ``billing_user_id``), then
makes the enrolment ACTIVE and wipes the password. If SolusIO is down the enrolment stays
pending with the reason, and the SolusioAutomation task finishes it later.

Linking a SolusIO user that already exists (same email):

* no ``billing_user_id``: ONE ``PUT users/{id}`` sets it to the client's id and applies the
  post-pay limit group; the link is in the activity log;
* already bound to this client: linked as it is, the limit group applied when it differs;
* bound to another billing id, an administrator of SolusIO, or held by another enrolment:
  refused. Nothing is written to SolusIO and the enrolment stays PENDING with ``last_error``
  starting with ``LINK_FAILED_MARK``; the client sees the same neutral "being set up" message as
  for any provisioning problem, the admin sees the reason on the Billing tab. Retrying cannot
  help until someone changes the user in SolusIO, so provisioning (the cron task, the client's
  "Try again") skips such an enrolment without calling SolusIO; ``retry_failed_link`` is the
  admin's way to try again once it is resolved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hostsim.addon_api import Client, get_for_update
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient, SolusioError, User

if TYPE_CHECKING:
    from hostsim.addon_api import Host

#: ``Enrolment.last_error`` of a pending enrolment starts with this when its SolusIO user must not
#: be linked; such an enrolment is not provisioned again until an admin retries it.
LINK_FAILED_MARK = "failed: "

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provisioned:
    enrolment_id: int
    ok: bool
    solusio_user_id: int | None = None
    created: bool = False  # False: an existing SolusIO user with that email was adopted
    error: str = ""
    failed: bool = False  # True: refused to link; stays pending until an admin resolves it


def enrolment_of(session: Session, client_id: int) -> Enrolment | None:
    return session.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).first()


def create_pending(host: "Host", session: Session, client_id: int, password: str, *, ip: str = "",
                   tos: bool = True, postpay_terms_url: str = "") -> Enrolment:
    """Add a pending enrolment with the acceptances recorded (time and address)."""
    now = host.clock.now()
    enrolment = Enrolment(client_id=client_id, status=EnrolmentStatus.PENDING, created_at=now,
                          pending_password=host.secrets.encrypt(password) if password else "",
                          tos_accepted_at=now if tos else None, tos_accepted_ip=ip if tos else "",
                          postpay_terms_url=postpay_terms_url,
                          postpay_terms_accepted_at=now if postpay_terms_url else None,
                          postpay_terms_accepted_ip=ip if postpay_terms_url else "")
    session.add(enrolment)
    session.flush()
    return enrolment


def link_failed(last_error: str) -> bool:
    """Whether an enrolment's ``last_error`` is a refused link (see ``LINK_FAILED_MARK``)."""
    return last_error.startswith(LINK_FAILED_MARK)


def provision(host: "Host", api: SolusioClient, enrolment_id: int, *, limit_group_id: int | None,
              retry_failed: bool = False) -> Provisioned:
    """Find or create the SolusIO user of a pending enrolment, bind it, and activate the enrolment.

    A refused link (``LINK_FAILED_MARK``) is answered from the database without calling SolusIO,
    unless ``retry_failed`` (the admin's retry)."""
    with host.sessions() as s:
        enrolment = s.get(Enrolment, enrolment_id)
        if enrolment is None:
            return Provisioned(enrolment_id, False, error="no such enrolment")
        if enrolment.status is not EnrolmentStatus.PENDING:
            return Provisioned(enrolment_id, True, enrolment.solusio_user_id)
        if link_failed(enrolment.last_error) and not retry_failed:
            return Provisioned(enrolment_id, False, error=enrolment.last_error, failed=True)
        client = s.get(Client, enrolment.client_id)
        assert client is not None
        email, client_id, stored_password = client.email, client.id, enrolment.pending_password
    created = bound = False
    try:
        user = api.find_user_by_email(email)
        if user is None:
            if not stored_password:
                raise ValueError("no password is kept for this signup; ask the client to sign up again")
            # create_user hands back an existing user when the email turned up meanwhile, so the
            # user it returns goes through the same checks as one found above.
            user = api.create_user(email, host.secrets.decrypt(stored_password), limit_group_id=limit_group_id,
                                   billing_user_id=client_id)
            created = True
        elif "roles" not in user.raw:
            user = api.get_user(user.id)  # a search result without roles cannot show an administrator
        problem = _link_problem(host, api, user, client_id, enrolment_id)
        if problem:
            return _refuse(host, enrolment_id, client_id, f"cannot link SolusIO user #{user.id} ({user.email}): "
                                                          f"{problem}")
        if _needs_binding(user, client_id, limit_group_id):
            user = api.link_user_to_billing(user.id, client_id, limit_group_id=limit_group_id)
            bound = True
    except (SolusioError, ValueError) as exc:
        message = str(exc)
        with host.transaction() as s:
            row = s.get(Enrolment, enrolment_id)
            if row is not None:
                row.last_error = message[:2000]
        return Provisioned(enrolment_id, False, error=message)
    if bound:
        group = f", limit group #{limit_group_id} applied" if limit_group_id is not None else ""
        what = f"linked (billing_user_id set{group})"
    else:
        what = "created" if created else "linked (already bound to this client)"
    try:
        with host.transaction() as s:
            row = get_for_update(s, Enrolment, enrolment_id)
            assert row is not None
            if row.status is EnrolmentStatus.PENDING:
                row.solusio_user_id = user.id
                row.status = EnrolmentStatus.ACTIVE
                row.pending_password = ""
                row.last_error = ""
                row.provisioned_at = host.clock.now()
                row.user_created = created
                host.activity.log(f"SolusIO user #{user.id} {what} for client #{client_id}", client_id=client_id,
                                  session=s)
    except IntegrityError:
        # Another enrolment took this user between the check above and here.
        return _refuse(host, enrolment_id, client_id,
                       f"cannot link SolusIO user #{user.id} ({email}): it already belongs to another enrolment",
                       solusio_changed=bound)
    return Provisioned(enrolment_id, True, user.id, created and not bound)


def _link_problem(host: "Host", api: SolusioClient, user: User, client_id: int, enrolment_id: int) -> str:
    """Why ``user`` must not become the SolusIO user of ``client_id`` ('' when it may)."""
    if api.is_admin(user):
        # its SSO and prices would act for an administrator of the whole installation
        return "it is an administrator of SolusIO"
    if user.billing_user_id is not None and user.billing_user_id != client_id:
        # SolusIO's "go to billing" would log into that other billing account
        return f"it is bound to another billing account (billing user #{user.billing_user_id})"
    with host.sessions() as s:
        other = s.scalars(select(Enrolment.client_id).where(Enrolment.solusio_user_id == user.id,
                                                            Enrolment.id != enrolment_id)).first()
    if other is not None:
        return f"it is already the SolusIO user of client #{other}"
    return ""


def _needs_binding(user: User, client_id: int, limit_group_id: int | None) -> bool:
    if user.billing_user_id != client_id:
        return True
    return limit_group_id is not None and (user.limit_group is None or user.limit_group.id != limit_group_id)


def _refuse(host: "Host", enrolment_id: int, client_id: int, reason: str, *, solusio_changed: bool = False) -> Provisioned:
    """Keep the enrolment pending, marked so that it is not retried, and log the refusal once."""
    # Only a race after the PUT (the conflict seen at activation) leaves SolusIO changed: say so.
    done = (f"; the user's billing_user_id was already set to client #{client_id}: check it in SolusIO"
            if solusio_changed else "; nothing was changed in SolusIO")
    message = (LINK_FAILED_MARK + reason + done + ". Not retried automatically: resolve it in SolusIO, then retry "
               "the link.")[:2000]
    with host.transaction() as s:
        row = get_for_update(s, Enrolment, enrolment_id)
        if row is not None and row.status is EnrolmentStatus.PENDING and row.last_error != message:
            row.last_error = message
            host.activity.log(f"SolusIO: client #{client_id} not linked: {reason}", client_id=client_id, session=s)
    log.warning("enrolment #%s: %s", enrolment_id, reason)
    return Provisioned(enrolment_id, False, error=message, failed=True)


def retry_failed_link(host: "Host", api: SolusioClient, client_id: int, *, limit_group_id: int | None,
                      actor: str = "System", admin_id: int | None = None) -> Provisioned | None:
    """An admin tries a refused link again (once the user was changed in SolusIO); logged.
    None when the client has no pending enrolment."""
    with host.sessions() as s:
        row = enrolment_of(s, client_id)
        if row is None or row.status is not EnrolmentStatus.PENDING:
            return None
        enrolment_id = row.id
    host.activity.log(f"SolusIO: linking client #{client_id} retried by an admin", actor=actor, admin_id=admin_id,
                      client_id=client_id)
    return provision(host, api, enrolment_id, limit_group_id=limit_group_id, retry_failed=True)
