"""Enrolments: a host client joined to a SolusIO user. Provisioning is safe to repeat.

Signup creates a PENDING enrolment holding the chosen password (encrypted); ``provision`` finds
the SolusIO user by exact email or creates it (the client's id as ``billing_user_id``), then
makes the enrolment ACTIVE and wipes the password. If SolusIO is down the enrolment stays
pending with the reason, and the SolusioAutomation task finishes it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hostsim.addon_api import Client, get_for_update
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient, SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host


@dataclass(frozen=True)
class Provisioned:
    enrolment_id: int
    ok: bool
    solusio_user_id: int | None = None
    created: bool = False  # False: an existing SolusIO user with that email was adopted
    error: str = ""


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


def provision(host: "Host", api: SolusioClient, enrolment_id: int, *, limit_group_id: int | None) -> Provisioned:
    """Find or create the SolusIO user of a pending enrolment and activate the enrolment."""
    with host.sessions() as s:
        enrolment = s.get(Enrolment, enrolment_id)
        if enrolment is None:
            return Provisioned(enrolment_id, False, error="no such enrolment")
        if enrolment.status is not EnrolmentStatus.PENDING:
            return Provisioned(enrolment_id, True, enrolment.solusio_user_id)
        client = s.get(Client, enrolment.client_id)
        assert client is not None
        email, client_id, stored_password = client.email, client.id, enrolment.pending_password
    created = False
    try:
        user = api.find_user_by_email(email)
        if user is None:
            if not stored_password:
                raise ValueError("no password is kept for this signup; ask the client to sign up again")
            user = api.create_user(email, host.secrets.decrypt(stored_password), limit_group_id=limit_group_id,
                                   billing_user_id=client_id)
            created = True
    except (SolusioError, ValueError) as exc:
        message = str(exc)
        with host.transaction() as s:
            row = s.get(Enrolment, enrolment_id)
            if row is not None:
                row.last_error = message[:2000]
        return Provisioned(enrolment_id, False, error=message)
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
                host.activity.log(f"SolusIO user #{user.id} {'created' if created else 'linked'} for client #{client_id}",
                                  client_id=client_id, session=s)
    except IntegrityError:
        message = f"SolusIO user #{user.id} ({email}) already belongs to another enrolment"
        with host.transaction() as s:
            row = s.get(Enrolment, enrolment_id)
            if row is not None:
                row.last_error = message
        return Provisioned(enrolment_id, False, error=message)
    return Provisioned(enrolment_id, True, user.id, created)
