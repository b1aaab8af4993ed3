"""``hostsim init``: migrate the database and seed what a new WHMCS install has."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.db import migrate
from hostsim.db.models import Admin, AdminRole, Currency
from hostsim.db.models.accounts import SEEDED_ROLES
from hostsim.services.passwords import hash_password, password_problem

if TYPE_CHECKING:
    from hostsim.host import Host

SEEDED_CURRENCIES = (
    # code, prefix, suffix, rate, default
    ("USD", "$", " USD", Decimal("1"), True),
    ("EUR", "\u20ac", " EUR", Decimal("0.92"), False),
)


class BootstrapError(ValueError):
    pass


def init_instance(host: "Host") -> None:
    """Create or upgrade the schema and seed roles and currencies (idempotent)."""
    host.config.ensure_home()
    migrate.upgrade(host.engine)
    with host.transaction() as s:
        existing = set(s.scalars(select(AdminRole.name)))
        s.add_all(AdminRole(name=name) for name in SEEDED_ROLES if name not in existing)
        if s.scalars(select(Currency.id)).first() is None:
            s.add_all(Currency(code=c, prefix=p, suffix=x, rate=r, is_default=d, active=True)
                      for c, p, x, r, d in SEEDED_CURRENCIES)


def create_admin(host: "Host", username: str, email: str, password: str | None = None,
                 role: str = "Full Administrator") -> str:
    """Add an admin; returns the password (generated when not given, to be shown once)."""
    username = (username or "").strip()
    if not username or len(username) > 100 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise BootstrapError("username: letters, digits, '.', '_' and '-' only")
    if "@" not in (email or ""):
        raise BootstrapError("email: enter a valid email address")
    if password is None:
        password = secrets.token_urlsafe(12) + "-A1"
    problem = password_problem(password)
    if problem:
        raise BootstrapError(problem)
    with host.transaction() as s:
        role_row = s.scalars(select(AdminRole).where(AdminRole.name == role)).first()
        if role_row is None:
            raise BootstrapError(f"role: no role group named {role!r}")
        if s.scalars(select(Admin.id).where(Admin.username == username)).first() is not None:
            raise BootstrapError(f"username: {username!r} is taken")
        s.add(Admin(username=username, email=email.strip(), password_hash=hash_password(password),
                    role_id=role_row.id, is_active=True, created_at=host.clock.now()))
        host.activity.log(f"Admin {username} created with role {role}", session=s)
    return password
