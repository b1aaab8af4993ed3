"""Clients: registration, authentication, detail changes (which fire ``client_edit``) and
closing/reopening (which also fire ``client_status_change``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hostsim.db.locking import get_for_update
from hostsim.db.models import Client, ClientStatus, Currency
from hostsim.db.on_commit import on_commit, on_rollback
from hostsim.services.passwords import hash_password, password_problem, verify_password

if TYPE_CHECKING:
    from hostsim.host import Host

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ClientError(ValueError):
    """Bad client input; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ClientError("email", "enter a valid email address")
    return value


def default_currency(session: Session) -> Currency:
    currency = session.scalars(select(Currency).where(Currency.is_default.is_(True))).first()
    if currency is None:
        raise RuntimeError("no default currency: run `hostsim init`")
    return currency


def create_client(session: Session, *, first_name: str, last_name: str, email: str, password: str,
                  company: str = "", currency_code: str | None = None, email_verified: bool = False,
                  now: Any) -> Client:
    """Validate and add a client to ``session`` (the caller commits)."""
    first, last, company = (first_name or "").strip(), (last_name or "").strip(), (company or "").strip()
    if not first:
        raise ClientError("first_name", "enter your first name")
    if not last:
        raise ClientError("last_name", "enter your last name")
    if len(first) > 100 or len(last) > 100 or len(company) > 200:
        raise ClientError("first_name" if len(first) > 100 else "last_name" if len(last) > 100 else "company",
                          "is too long")
    address = normalise_email(email)
    problem = password_problem(password or "", personal=(first, last, address.split("@")[0]))
    if problem:
        raise ClientError("password", problem.split(": ", 1)[1])
    if currency_code:
        currency = session.scalars(select(Currency).where(Currency.code == currency_code.upper())).first()
        if currency is None or not currency.active:
            raise ClientError("currency", f"{currency_code!r} is not an available currency")
    else:
        currency = default_currency(session)
    if session.scalars(select(Client.id).where(func.lower(Client.email) == address)).first() is not None:
        raise ClientError("email", "an account with this email address already exists")
    client = Client(first_name=first, last_name=last, company=company, email=address,
                    password_hash=hash_password(password), currency_id=currency.id, status=ClientStatus.ACTIVE,
                    email_verified=email_verified, created_at=now)
    session.add(client)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration won the race on the unique email
        raise ClientError("email", "an account with this email address already exists") from None
    return client


def find_by_email(session: Session, email: str) -> Client | None:
    try:
        address = normalise_email(email)
    except ClientError:
        return None
    return session.scalars(select(Client).where(Client.email == address)).first()


def authenticate(session: Session, email: str, password: str) -> Client | None:
    client = find_by_email(session, email)
    if client is None or client.status is ClientStatus.CLOSED:
        # Same work either way, so response time does not reveal which emails exist.
        verify_password(hash_password("x"), password)
        return None
    return client if verify_password(client.password_hash, password) else None


EDITABLE = ("first_name", "last_name", "company", "address", "email", "currency_id", "status", "email_verified")
#: The longest value each text field holds (the address also at most ``ADDRESS_LINES`` lines).
MAX_LENGTHS = {"first_name": 100, "last_name": 100, "company": 200, "address": 500}
ADDRESS_LINES = 8
#: How the activity log names each field.
FIELD_WORDS = {"first_name": "first name", "last_name": "last name", "company": "company", "address": "address",
               "email": "email", "currency_id": "currency", "status": "status", "email_verified": "email verified"}


def change_problems(changes: dict[str, Any]) -> dict[str, str]:
    """Every problem of a client change at once, ``{field: message}`` ({} when it may go ahead).
    The email of ``changes`` is normalised in place."""
    problems: dict[str, str] = {}
    for key in sorted(set(changes) - set(EDITABLE)):
        problems[key] = "cannot be changed here"
    if "email" in changes:
        try:
            changes["email"] = normalise_email(changes["email"])
        except ClientError as exc:
            problems["email"] = exc.message
    for key in ("first_name", "last_name"):
        if key in changes and not str(changes[key]).strip():
            problems[key] = "must not be empty"
    for key, limit in MAX_LENGTHS.items():
        if key in changes and key not in problems and len(str(changes[key]).strip()) > limit:
            problems[key] = f"is too long (at most {limit} characters)"
    if "address" in changes and "address" not in problems and str(changes["address"]).count("\n") >= ADDRESS_LINES:
        problems["address"] = f"at most {ADDRESS_LINES} lines"
    if "status" in changes:
        try:
            ClientStatus(changes["status"])
        except ValueError:
            problems["status"] = "choose Active, Inactive or Closed"
    return problems


def update_client(host: "Host", client_id: int, *, actor: str = "System", session: Session | None = None,
                  **changes: Any) -> dict[str, tuple[Any, Any]]:
    """Change a client's details and log it; fires ``client_edit`` after the commit. Returns what
    changed. With ``session`` the change joins the caller's transaction (the event then fires
    when the caller commits, and not at all if it rolls back)."""
    problems = change_problems(changes)
    if problems:
        field, message = next(iter(problems.items()))
        raise ClientError(field, message)
    if session is not None:
        return _apply_changes(host, session, client_id, actor, changes)
    with host.transaction() as s:
        return _apply_changes(host, s, client_id, actor, changes)


def _shown(s: Session, key: str, value: Any) -> str:
    """A field's value as the activity log writes it."""
    if key == "currency_id":
        currency = s.get(Currency, value) if value is not None else None
        return currency.code if currency is not None else "?"
    if isinstance(value, ClientStatus):
        return value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = ", ".join(line.strip() for line in str(value).splitlines() if line.strip())
    return text or "(empty)"


def describe_changes(s: Session, client: Client, diff: dict[str, tuple[Any, Any]]) -> str:
    """The activity log's sentence for a change: "Client Ada Lovelace (#1): email changed from a@x to b@y"."""
    parts = [f"{FIELD_WORDS.get(key, key)} changed from {_shown(s, key, old)} to {_shown(s, key, new)}"
             for key, (old, new) in sorted(diff.items(), key=lambda item: EDITABLE.index(item[0]))]
    return f"Client {client.full_name} (#{client.id}): {'; '.join(parts)}"


def _apply_changes(host: "Host", s: Session, client_id: int, actor: str,
                   changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    diff: dict[str, tuple[Any, Any]] = {}
    client = get_for_update(s, Client, client_id)
    if client is None:
        raise ClientError("client_id", f"no client #{client_id}")
    if "email" in changes and changes["email"] != client.email:
        taken = s.scalars(select(Client.id).where(Client.email == changes["email"], Client.id != client_id)).first()
        if taken is not None:
            raise ClientError("email", "another account uses this email address")
    for key, value in changes.items():
        old = getattr(client, key)
        if key == "status":
            value = ClientStatus(value)
        if isinstance(value, str) and key != "status":
            value = value.strip()
        if old != value:
            setattr(client, key, value)
            diff[key] = (old, value)
    if diff:
        # Addons that mirror the client elsewhere check (and apply) the change before it commits;
        # if it then does not commit (another addon refuses, the database fails), they undo it.
        on_rollback(s, lambda: host.addons.client_details_reverted(client_id, diff))
        refused = host.addons.client_details_validation(client_id, diff)
        if refused:
            field, message = next(iter(refused.items()))
            raise ClientError(field, message)
        host.activity.log(describe_changes(s, client, diff), actor=actor, client_id=client_id, session=s)
        on_commit(s, lambda: host.addons.client_edit(client_id, diff))
        if "status" in diff:
            old_status, new_status = diff["status"]
            on_commit(s, lambda: host.addons.client_status_change(client_id, old_status, new_status))
    return diff


def close_client(host: "Host", client_id: int, *, actor: str = "System") -> bool:
    """Close a client (it can no longer log in); ``client_status_change`` fires after the commit.
    False when it was already closed."""
    return bool(update_client(host, client_id, actor=actor, status=ClientStatus.CLOSED))


def reopen_client(host: "Host", client_id: int, *, actor: str = "System") -> bool:
    """Make a closed client Active again; ``client_status_change`` fires after the commit. False
    when it was not closed (an Inactive or Active client is left as it is)."""
    with host.sessions() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise ClientError("client_id", f"no client #{client_id}")
        if client.status is not ClientStatus.CLOSED:
            return False
    return bool(update_client(host, client_id, actor=actor, status=ClientStatus.ACTIVE))
