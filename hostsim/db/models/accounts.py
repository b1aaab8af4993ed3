"""People: admins with their roles, and clients; their web sessions and login throttle counters."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, event, inspect, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from hostsim.db.base import Base, UTCDateTime, table_of
from hostsim.db.types import ExactDecimal, str_enum

SEEDED_ROLES = ("Full Administrator", "Sales Operator", "Support Operator")


class AdminRole(Base):
    __tablename__ = "admin_roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Admin(Base):
    __tablename__ = "admins"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role_id: Mapped[int] = mapped_column(ForeignKey("admin_roles.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    role: Mapped[AdminRole] = relationship(lazy="joined")


class ClientStatus(str, enum.Enum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    CLOSED = "Closed"


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    company: Mapped[str] = mapped_column(String(200), default="")
    #: Postal address as the client writes it (lines), for the Invoiced To block of invoices.
    address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Kept lower-cased: e-mail addresses are matched case-insensitively everywhere.
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    status: Mapped[ClientStatus] = mapped_column(
        str_enum(ClientStatus),
        default=ClientStatus.ACTIVE,
    )
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    credit: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    language: Mapped[str] = mapped_column(String(20), default="english")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    currency = relationship("Currency", lazy="joined")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LoginFailure(Base):
    """Failed logins per key (area + username or area + address) for throttling."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WebSession(Base):
    """A browser session kept on the server (see ``hostsim.web.sessions``).

    ``id`` is the SHA-256 of the random id in the cookie, never the id itself. ``data`` is the
    Flask session dict as tagged JSON (CSRF token, flashes). The ``admin_*`` and ``client_*``
    columns are each area's login: they, not ``data``, decide who is logged in, so clearing
    them (or deleting the row) ends that login for every copy of the cookie at once.
    """

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the row is of no use any more (every login in it timed out); pruned after that.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    admin_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    admin_auth: Mapped[str | None] = mapped_column(String(64), nullable=True)
    admin_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    admin_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    client_auth: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    client_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginCounter(Base):
    """Failed logins of one throttle key (area + account or area + address) in the window that
    began at ``window_start``; updated only by conditional UPDATEs (``hostsim.services.throttle``)."""

    __tablename__ = "login_counters"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


#: Client statuses that disable an account: it cannot log in and its sessions end.
DISABLED_CLIENT_STATUSES = (ClientStatus.CLOSED, ClientStatus.INACTIVE)


def _changed_to(obj: object, attr: str) -> tuple[bool, object]:
    history = inspect(obj).attrs[attr].history
    return bool(history.added) and history.added != history.deleted, history.added[0] if history.added else None


@event.listens_for(Session, "before_flush")
def _end_logins_of_disabled_accounts(session: Session, _context: object, _instances: object) -> None:
    """An account disabled or given a new password through the ORM, wherever that happens (a
    view, the CLI, an addon), has every login of its sessions ended in the same transaction: a
    session does not come back if the account is enabled again. (Each request also checks both,
    for changes made outside the ORM.)"""
    ended: list[tuple[str, int]] = []
    for obj in session.dirty:
        if isinstance(obj, Admin):
            active_changed, active = _changed_to(obj, "is_active")
            if _changed_to(obj, "password_hash")[0] or (active_changed and not active):
                ended.append(("admin", obj.id))
        elif isinstance(obj, Client):
            status_changed, status = _changed_to(obj, "status")
            if _changed_to(obj, "password_hash")[0] or (status_changed and status in DISABLED_CLIENT_STATUSES):
                ended.append(("client", obj.id))
    if not ended:
        return
    table = table_of(WebSession)
    conn = session.connection()
    for area, account_id in ended:
        columns = {f"{area}_{name}": None for name in ("id", "auth", "login_at", "seen_at")}
        conn.execute(update(table).where(table.c[f"{area}_id"] == account_id).values(columns))
