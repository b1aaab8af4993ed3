"""The emailed signup link: signed token, its row, and the two signup emails.

``<base>/modules/addons/solusio/signup/complete?token=<t>`` where ``t`` is an itsdangerous
``URLSafeTimedSerializer`` signature (key derived from the host's master secret for the purpose
"solusio signup", timestamps from the host clock) over ``[signup id, nonce, email]``. The
``Signup`` row keeps only the SHA-256 of the nonce. A link works once (``used_at``), dies when a
newer one is requested (``superseded_at``), and expires after ``SIGNUP_TTL``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)

from solusio_addon.clientarea.state import MODULE
from solusio_addon.db.models import Signup

if TYPE_CHECKING:
    from hostsim.addon_api import Host

SIGNUP_TTL = timedelta(hours=48)
COMPLETE_PATH = "/modules/addons/solusio/signup/complete"
SALT = "solusio-signup-link"
LINK_PROBLEMS = {
    "invalid": "This signup link is not valid. Copy the whole link from the email, or request a new one.",
    "expired": "This signup link has expired (links are valid for 48 hours). Please sign up again to get a new one.",
    "used": "This signup link has already been used.",
    "superseded": "A newer signup link was sent to this address; only the newest link works. Use the latest email.",
}


# --- the signed link ----------------------------------------------------------------------------


def _serializer(host: Host) -> URLSafeTimedSerializer:
    clock = host.clock

    class HostClockSigner(TimestampSigner):
        """Timestamps from the host's one clock, so moving it (tests, ``--today``) ages links too."""

        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    return URLSafeTimedSerializer(host.secrets.derive_key("solusio signup"), salt=SALT,
                                  signer=HostClockSigner)


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8", "surrogatepass")).hexdigest()


def make_token(host: Host, signup_id: int, nonce: str, email: str) -> str:
    return _serializer(host).dumps([signup_id, nonce, email])


def link_for(host: Host, token: str) -> str:
    return f"{host.base_url}{COMPLETE_PATH}?token={token}"


@dataclass(frozen=True)
class LinkCheck:
    ok: bool
    problem: str = ""  # invalid | expired | used | superseded
    signup_id: int | None = None
    email: str = ""
    client_id: int | None = None  # set once used, or from the start for an existing client's link


def check_link(host: Host, token: str) -> LinkCheck:
    """Is ``token`` a live signup link? Never raises for bad input."""
    if not token or len(token) > 1000:
        return LinkCheck(False, "invalid")
    try:
        payload = _serializer(host).loads(token, max_age=int(SIGNUP_TTL.total_seconds()))
    except SignatureExpired:
        return LinkCheck(False, "expired")
    except BadSignature:
        return LinkCheck(False, "invalid")
    if (not isinstance(payload, list) or len(payload) != 3 or not isinstance(payload[0], int)
            or not isinstance(payload[1], str) or not isinstance(payload[2], str)):
        return LinkCheck(False, "invalid")
    signup_id, nonce, email = payload
    with host.sessions() as s:
        row = s.get(Signup, signup_id)
        if row is None or not hmac.compare_digest(row.nonce_hash, hash_nonce(nonce)) or row.email != email:
            return LinkCheck(False, "invalid")
        problem = ("used" if row.used_at is not None else "superseded" if row.superseded_at is not None
                   else "expired" if row.expires_at <= host.clock.now() else "")
        return LinkCheck(not problem, problem, row.id, row.email, row.client_id)


# --- requesting a link --------------------------------------------------------------------------


# --- the emails ---------------------------------------------------------------------------------


def company(host: Host) -> str:
    return host.settings.get("company_name")


def send_link_email(host: Host, email: str, first_name: str, token: str, *, client_id: int | None = None) -> None:
    body = host.templates.render(MODULE, "client/emails/signup-link.txt", first_name=first_name,
                                       link=link_for(host, token), company_name=company(host),
                                       hours=int(SIGNUP_TTL.total_seconds() // 3600))
    host.mail.send(email, f"Finish your cloud hosting signup at {company(host)}", body, client_id=client_id)


def send_existing_account_email(host: Host, email: str, first_name: str, client_id: int | None) -> None:
    base = host.base_url
    body = host.templates.render(MODULE, "client/emails/existing-account.txt", first_name=first_name,
                                       login_link=f"{base}/login?next=/index.php%3Fm%3Dsolusio",
                                       company_name=company(host))
    host.mail.send(email, f"Cloud hosting at {company(host)}: you already have an account", body,
                   client_id=client_id)
