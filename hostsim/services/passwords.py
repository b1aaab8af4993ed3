"""Password hashing (Werkzeug's scrypt) and the strength rule shared by every form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from hostsim.host import Host

MIN_LENGTH = 10
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    return bool(stored_hash) and check_password_hash(stored_hash, password)


def password_problem(password: str, *, field: str = "password", personal: tuple[str, ...] = ()) -> str | None:
    """A sentence saying why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"{field}: use at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"{field}: use at most {MAX_LENGTH} characters"
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 3:
        return f"{field}: mix at least three of lower case, upper case, digits and symbols"
    lowered = password.lower()
    for word in personal:
        if word and len(word) >= 4 and word.lower() in lowered:
            return f"{field}: must not contain your name or email address"
    return None


def set_password(host: "Host", area: str, account_id: int, new_password: str, *, actor: str, ip: str = "") -> None:
    """Store a new password for an admin (``area="admin"``) or a client, and end every login of
    the account at once (each browser must log in again; the caller signs its own one back in).

    The caller has checked the strength (:func:`password_problem`) and the current password.
    """
    from hostsim.db.locking import get_for_update
    from hostsim.db.models import Admin, Client
    from hostsim.services.sessions import revoke

    model: type[Admin] | type[Client] = Admin if area == "admin" else Client
    with host.transaction() as s:
        account = get_for_update(s, model, account_id)
        if account is None:
            raise LookupError(f"no {area} #{account_id}")
        account.password_hash = hash_password(new_password)
        who = f"Admin {account.username}" if isinstance(account, Admin) else f"Client #{account.id}"
        host.activity.log(f"{who} changed the password; every session was logged out", actor=actor,
                          admin_id=account.id if area == "admin" else None,
                          client_id=account.id if area == "client" else None, ip=ip, session=s)
    revoke(host, area, account_id)
