"""People: admins with their roles, and clients."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hostsim.db.base import Base, UTCDateTime
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
