"""Signing up for post-pay cloud hosting, and enrolling an existing client.

The emailed link and its token are :mod:`solusio_addon.clientarea.signup_links`. A link's claim
is one conditional UPDATE, so a double click completes once. The chosen password is kept
encrypted in the signup row until the link is used, then only in the pending enrolment until
SolusIO has the user; it is never logged or shown.

Rate limits (counted from the ``Signup`` table): ``PER_EMAIL_PER_HOUR`` emails to one address and
``PER_IP_PER_HOUR`` requests from one IP address per hour.

An address that already has a host account gets the same answer as a new one, and an email with
a login link instead of a signup link, so the form does not reveal which addresses exist.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from hostsim.addon_api import (
    Client,
    ClientError,
    Currency,
    cached_read,
    get_for_update,
    normalise_email,
    password_problem,
)
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.admin.enrolments import (
    Provisioned,
    create_pending,
    enrolment_of,
    provision,
)
from solusio_addon.clientarea.signup_links import (
    COMPLETE_PATH,
    LINK_PROBLEMS,
    SIGNUP_TTL,
    LinkCheck,
    check_link,
    hash_nonce,
    make_token,
    send_existing_account_email,
    send_link_email,
)
from solusio_addon.clientarea.state import LANDING_URL
from solusio_addon.db.models import Enrolment, Signup
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)

PER_EMAIL_PER_HOUR = 3
PER_IP_PER_HOUR = 10
RATE_WINDOW = timedelta(hours=1)
KEEP_ROWS = timedelta(days=30)
FIELDS = ("first_name", "last_name", "company", "email", "currency")
SENT_MESSAGE = ("Thank you. We have sent an email to {email} with a link to finish your signup. "
                "The link works once and expires in 48 hours.")
RATE_MESSAGE = ("Too many signup emails were requested for this address or from your network. "
                "Please wait an hour and try again, or use the link in the email you already received.")


@dataclass
class Outcome:
    """What a signup or enrolment step ended with; the views turn it into a page."""

    kind: str
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    client_id: int | None = None
    enrolment_id: int | None = None
    provisioned: Provisioned | None = None


def clean_form(raw: Any) -> dict[str, str]:
    return {k: str(raw.get(k, "") or "").strip()[:300] for k in FIELDS}


def validate(form: dict[str, str], password: str) -> dict[str, str]:
    """Field -> sentence for everything wrong with a visitor's signup form."""
    errors: dict[str, str] = {}
    if not form["first_name"]:
        errors["first_name"] = "Enter your first name."
    elif len(form["first_name"]) > 100:
        errors["first_name"] = "Use at most 100 characters."
    if not form["last_name"]:
        errors["last_name"] = "Enter your last name."
    elif len(form["last_name"]) > 100:
        errors["last_name"] = "Use at most 100 characters."
    if len(form["company"]) > 200:
        errors["company"] = "Use at most 200 characters."
    try:
        email = normalise_email(form["email"])
    except ClientError as exc:
        errors["email"] = exc.message[:1].upper() + exc.message[1:] + "."
        email = form["email"]
    problem = password_problem(password or "", personal=(form["first_name"], form["last_name"],
                                                         email.split("@")[0]))
    if problem:
        text = problem.split(": ", 1)[1]
        errors["password"] = text[:1].upper() + text[1:] + "."
    return errors


def active_currencies(host: Host) -> list[str]:
    """The codes a visitor may choose for their account (the host's active currencies); the
    landing page asks on every visit, so kept until a currency changes in any process."""
    return list(cached_read(host, "solusio.active_currency_codes", lambda: _read_active_currencies(host)))


def _read_active_currencies(host: Host) -> tuple[str, ...]:
    with host.engine.connect() as conn:
        return tuple(conn.scalars(select(Currency.code).where(Currency.active.is_(True)).order_by(Currency.id)))


def currency_problem(host: Host, code: str) -> str | None:
    """Why ``code`` cannot be a new account's currency ('' means the host's default)."""
    if code and code not in active_currencies(host):
        return "Choose a currency from the list."
    return None


def _rate_limited(host: Host, s: Any, email: str, ip: str) -> bool:
    since = host.clock.now() - RATE_WINDOW
    by_email = s.scalar(select(func.count()).select_from(Signup).where(Signup.email == email,
                                                                       Signup.created_at > since)) or 0
    by_ip = s.scalar(select(func.count()).select_from(Signup).where(Signup.request_ip == ip,
                                                                    Signup.created_at > since)) or 0 if ip else 0
    return by_email >= PER_EMAIL_PER_HOUR or by_ip >= PER_IP_PER_HOUR


def request_signup(host: Host, raw_form: Any, password: str, *, ip: str) -> Outcome:
    """A visitor's signup form: validate, rate limit, store, email a link (or a login link)."""
    form = clean_form(raw_form)
    form["currency"] = form["currency"].upper()
    errors = validate(form, password)
    problem = currency_problem(host, form["currency"])
    if problem:
        errors["currency"] = problem
    if errors:
        return Outcome("invalid", "Please correct the fields marked below.", errors)
    email = normalise_email(form["email"])
    ip = ip[:64]
    now = host.clock.now()
    nonce = secrets.token_urlsafe(32)
    with host.transaction() as s:
        if _rate_limited(host, s, email, ip):
            return Outcome("rate_limited", RATE_MESSAGE)
        existing = host.clients.find_by_email(s, email)
        s.execute(delete(Signup).where(Signup.created_at < now - KEEP_ROWS))
        if existing is not None:
            # Counted by the rate limit like a real request; can never be completed.
            s.add(Signup(email=email, nonce_hash=hash_nonce(secrets.token_urlsafe(32)), request_ip=ip,
                         client_id=existing.id, created_at=now, expires_at=now, superseded_at=now))
            existing_id, signup_id = existing.id, None
        else:
            _supersede(s, email, now)
            row = Signup(email=email, first_name=form["first_name"], last_name=form["last_name"],
                         company=form["company"], currency_code=form["currency"],
                         password=host.secrets.encrypt(password),
                         nonce_hash=hash_nonce(nonce), request_ip=ip, created_at=now, expires_at=now + SIGNUP_TTL)
            s.add(row)
            s.flush()
            existing_id, signup_id = None, row.id
    if signup_id is None:
        send_existing_account_email(host, email, form["first_name"], existing_id)
    else:
        send_link_email(host, email, form["first_name"], make_token(host, signup_id, nonce, email))
    return Outcome("sent", SENT_MESSAGE.format(email=email))


def _supersede(s: Any, email: str, now: Any) -> None:
    """Older unused links of ``email`` stop working (and forget their passwords)."""
    s.execute(update(Signup).where(Signup.email == email, Signup.used_at.is_(None), Signup.superseded_at.is_(None))
              .values(superseded_at=now, password="").execution_options(synchronize_session=False))


# --- completing a link --------------------------------------------------------------------------


def acceptance_errors(host: Host, accept_tos: bool, accept_postpay: bool) -> dict[str, str]:
    errors = {}
    if not accept_tos:
        errors["accept_tos"] = "Please accept the Terms of Service to continue."
    if addon_settings.load_postpay(host).terms_url and not accept_postpay:
        errors["accept_postpay"] = "Please accept the Post-Pay Terms & Conditions to continue."
    return errors


def complete_signup(host: Host, token: str, *, accept_tos: bool, accept_postpay: bool, ip: str,
                    session_client_id: int | None) -> Outcome:
    """Follow a link with the terms accepted: create (or use) the client, enrol, provision."""
    check = check_link(host, token)
    if not check.ok:
        if check.problem == "used" and check.client_id is not None:
            return Outcome("already_done", LINK_PROBLEMS["used"], client_id=check.client_id)
        return Outcome("link_problem", LINK_PROBLEMS[check.problem])
    errors = acceptance_errors(host, accept_tos, accept_postpay)
    if errors:
        return Outcome("terms", "Please accept the terms to continue.", errors)
    if check.client_id is not None and session_client_id != check.client_id:
        return Outcome("login_required", "Please log in to the account this link was sent for, then open the "
                                         "link again.")
    terms_url = addon_settings.load_postpay(host).terms_url
    now = host.clock.now()
    assert check.signup_id is not None
    try:
        with host.transaction() as s:
            # The claim comes first: of two concurrent completions exactly one changes the row.
            claimed = s.execute(update(Signup).where(Signup.id == check.signup_id, Signup.used_at.is_(None),
                                                     Signup.superseded_at.is_(None), Signup.expires_at > now)
                                .values(used_at=now).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise _AlreadyClaimed()
            row = s.get(Signup, check.signup_id)
            assert row is not None
            password = host.secrets.decrypt(row.password) if row.password else ""
            if row.client_id is None:
                client = host.clients.register(s, first_name=row.first_name, last_name=row.last_name,
                                               company=row.company, email=row.email, password=password,
                                               currency_code=row.currency_code or None, email_verified=True)
                host.activity.log(f"Client #{client.id} registered through the cloud hosting signup",
                                  actor=client.email, client_id=client.id, ip=ip, session=s)
            else:
                locked = get_for_update(s, Client, row.client_id)
                if locked is None or locked.email != row.email:
                    raise _Stale()
                client = locked
                # Through the host's client API: logged, and client_edit fires after the commit.
                host.clients.verify_email(client.id, actor=client.email, session=s)
            if enrolment_of(s, client.id) is not None:
                raise _AlreadyClaimed()
            enrolment = create_pending(host, s, client.id, password, ip=ip, tos=True,
                                       postpay_terms_url=terms_url if accept_postpay else "")
            row.client_id, row.password = client.id, ""
            client_id, enrolment_id = client.id, enrolment.id
    except ClientError:
        # Someone registered this address meanwhile: nothing was created, the link stays usable.
        return Outcome("email_taken", "An account with this email address already exists. Log in and enable "
                                      "cloud hosting from the Cloud Hosting page.")
    except _Stale:
        return Outcome("link_problem", LINK_PROBLEMS["invalid"])
    except (_AlreadyClaimed, IntegrityError):
        again = check_link(host, token)
        return Outcome("already_done", LINK_PROBLEMS["used"], client_id=again.client_id)
    result = provision_now(host, enrolment_id)
    return Outcome("enrolled" if result.ok else "pending", client_id=client_id, enrolment_id=enrolment_id,
                   provisioned=result)


class _AlreadyClaimed(Exception):
    pass


class _Stale(Exception):
    pass


# --- a logged-in client ---------------------------------------------------------------------


def enrol_client(host: Host, client_id: int, password: str, *, accept_tos: bool, accept_postpay: bool,
                 ip: str) -> Outcome:
    """A logged-in client enables cloud hosting. A verified email enrols at once; an unverified
    one first gets a confirmation link (a SolusIO user with that email may exist and would be
    linked to this account, so the address must be proven)."""
    errors = acceptance_errors(host, accept_tos, accept_postpay)
    with host.sessions() as s:
        client = s.get(Client, client_id)
        if client is None:
            return Outcome("link_problem", "No such account.")
        if enrolment_of(s, client_id) is not None:
            return Outcome("already_done", "Cloud hosting is already enabled for your account.", client_id=client_id)
        personal = (client.first_name, client.last_name, client.email.split("@")[0])
        email, first_name, verified = client.email, client.first_name, client.email_verified
    problem = password_problem(password or "", personal=personal)
    if problem:
        text = problem.split(": ", 1)[1]
        errors["password"] = text[:1].upper() + text[1:] + "."
    if errors:
        return Outcome("invalid", "Please correct the fields marked below.", errors)
    terms_url = addon_settings.load_postpay(host).terms_url
    if not verified:
        now = host.clock.now()
        nonce = secrets.token_urlsafe(32)
        with host.transaction() as s:
            if _rate_limited(host, s, email, ip[:64]):
                return Outcome("rate_limited", RATE_MESSAGE)
            _supersede(s, email, now)
            row = Signup(email=email, first_name=first_name, password=host.secrets.encrypt(password),
                         client_id=client_id, nonce_hash=hash_nonce(nonce), request_ip=ip[:64], created_at=now,
                         expires_at=now + SIGNUP_TTL)
            s.add(row)
            s.flush()
            signup_id = row.id
        send_link_email(host, email, first_name, make_token(host, signup_id, nonce, email), client_id=client_id)
        return Outcome("sent", f"We have sent an email to {email} to confirm the address. Follow the link in it to "
                               "finish enabling cloud hosting.")
    try:
        with host.transaction() as s:
            get_for_update(s, Client, client_id)
            if enrolment_of(s, client_id) is not None:
                raise _AlreadyClaimed()
            enrolment = create_pending(host, s, client_id, password, ip=ip, tos=True,
                                       postpay_terms_url=terms_url if accept_postpay else "")
            enrolment_id = enrolment.id
            host.activity.log(f"Client #{client_id} enabled cloud hosting", client_id=client_id, ip=ip, session=s)
    except (_AlreadyClaimed, IntegrityError):
        return Outcome("already_done", "Cloud hosting is already enabled for your account.", client_id=client_id)
    result = provision_now(host, enrolment_id)
    return Outcome("enrolled" if result.ok else "pending", client_id=client_id, enrolment_id=enrolment_id,
                   provisioned=result)


def provision_now(host: Host, enrolment_id: int) -> Provisioned:
    """Try to provision at once; on failure the enrolment stays pending for the cron task."""
    try:
        api = client_from_settings(host, interactive=True)
    except (NotConnected, SolusioError) as exc:
        return Provisioned(enrolment_id, False, error=str(exc))
    with api:
        return provision(host, api, enrolment_id, limit_group_id=addon_settings.load_postpay(host).limit_group_id)


def retry_pending(host: Host, client_id: int) -> Provisioned | None:
    """The client's own pending enrolment, tried again now (the 'Try again' button)."""
    with host.sessions() as s:
        row = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).first()
        if row is None:
            return None
        enrolment_id = row.id
    return provision_now(host, enrolment_id)


__all__ = ["COMPLETE_PATH", "LANDING_URL", "LINK_PROBLEMS", "LinkCheck", "Outcome", "check_link", "complete_signup",
           "enrol_client", "request_signup"]
