"""Tables of the SolusIO addon."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hostsim.addon_api import Base, ExactDecimal, UTCDateTime, str_enum, watch_tables


class TokenPrice(Base):
    """The price of ONE token in a host currency (up to four decimal places)."""

    __tablename__ = "mod_solusio_token_prices"
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id", ondelete="CASCADE"), primary_key=True)
    price: Mapped[Decimal] = mapped_column(ExactDecimal(20, 4))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Pages keep the prices between requests (pricing.active_prices): a price saved by any process,
# the web form or the command line, must reach every web process's next request.
watch_tables(TokenPrice.__tablename__)


class EnrolmentStatus(str, enum.Enum):
    PENDING = "pending"  # accepted in the host; SolusIO user not provisioned yet
    ACTIVE = "active"
    LOCKED = "locked"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # the host client is closed: SolusIO user suspended, billed up to the closure


class Enrolment(Base):
    """A host client enrolled in post-pay SolusIO, and the SolusIO user that belongs to it."""

    __tablename__ = "mod_solusio_enrolments"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), unique=True)
    solusio_user_id: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True)
    status: Mapped[EnrolmentStatus] = mapped_column(str_enum(EnrolmentStatus), index=True)
    # The overdue invoice behind a lock or suspension, to tell the client which one to pay.
    status_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exempt_from_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # The password chosen at signup, encrypted, kept only until the SolusIO user exists.
    pending_password: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    tos_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    tos_accepted_ip: Mapped[str] = mapped_column(String(64), default="")
    postpay_terms_url: Mapped[str] = mapped_column(String(500), default="")
    postpay_terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    postpay_terms_accepted_ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The latest closure of the host client and the reopening after it (None while still closed):
    # months wholly inside that span are not billed.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # True when provisioning created the SolusIO user (so its billing_user_id may be repaired).
    user_created: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SsoLink(Base):
    """A one-time login link into the host's client area, minted for SolusIO's ``sso`` call."""

    __tablename__ = "mod_solusio_sso_links"
    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Signup(Base):
    """A signup waiting for its emailed link to be followed."""

    __tablename__ = "mod_solusio_signups"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), index=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    #: The currency the visitor chose on the signup form (their account's); '' for the default.
    currency_code: Mapped[str] = mapped_column(String(3), default="", server_default="")
    password: Mapped[str] = mapped_column(Text, default="")  # encrypted; wiped once used
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_ip: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PeriodOutcome(str, enum.Enum):
    INVOICED = "invoiced"
    NO_USAGE = "no_usage"


class BilledPeriod(Base):
    """One row per client and month, written in the same transaction as the invoice.

    The UNIQUE (client_id, period_start) constraint is THE guard against double invoicing: a
    second writer's insert fails and its whole transaction (invoice included) rolls back.
    """

    __tablename__ = "mod_solusio_billed_periods"
    __table_args__ = (UniqueConstraint("client_id", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    solusio_user_id: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive: the 1st of the next month
    outcome: Mapped[PeriodOutcome] = mapped_column(str_enum(PeriodOutcome))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    currency_code: Mapped[str] = mapped_column(String(3), default="")
    token_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(20, 4), nullable=True)
    total_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the invoice email was queued in the host outbox: in the same transaction as the invoice.
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lines: Mapped[list["UsageLine"]] = relationship(back_populates="period", order_by="UsageLine.id",
                                                    cascade="all, delete-orphan")


class UsageLine(Base):
    """What one invoice line was computed from, so the invoice can be explained later."""

    __tablename__ = "mod_solusio_usage_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    billed_period_id: Mapped[int] = mapped_column(ForeignKey("mod_solusio_billed_periods.id", ondelete="CASCADE"),
                                                  index=True)
    invoice_item_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_items.id"), nullable=True)
    resource_type: Mapped[str] = mapped_column(String(20))  # server | additional_ip
    server_id: Mapped[int] = mapped_column(Integer)
    server_name: Mapped[str] = mapped_column(String(255), default="")
    plan_name: Mapped[str] = mapped_column(String(255), default="")
    hours: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[int] = mapped_column(Integer)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    tokens_per_month: Mapped[int] = mapped_column(Integer, default=0)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(20, 4))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(20, 4))
    period: Mapped[BilledPeriod] = relationship(back_populates="lines")


class DriftKind(str, enum.Enum):
    EMAIL = "email"  # reported: the client's email and the user's differ
    STATUS = "status"  # repaired: the user's status is not what the overdue rules (or a closure) say
    BILLING_ID = "billing_user_id"  # repaired for a user we created, reported for one we adopted
    LIMIT_GROUP = "limit_group"  # repaired: not the post-pay limit group
    MISSING_USER = "missing_user"  # reported: the enrolment's user no longer exists in SolusIO
    FOREIGN_BILLING_ID = "foreign_billing_id"  # reported: a user's billing id names no enrolment of it


class Drift(Base):
    """One disagreement between the host and SolusIO found by the last reconcile and not repaired."""

    __tablename__ = "mod_solusio_drift"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DriftKind] = mapped_column(str_enum(DriftKind))
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    solusio_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconcileRun(Base):
    """One reconcile pass: what it looked at, what it cost and what it found."""

    __tablename__ = "mod_solusio_reconcile_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)  # the host day the statuses were judged for
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fix: Mapped[bool] = mapped_column(Boolean, default=False)
    only_client: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enrolments: Mapped[int] = mapped_column(Integer, default=0)
    users: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    found: Mapped[int] = mapped_column(Integer, default=0)
    repaired: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)


class StatusWarning(Base):
    """A warning emailed before an invoice would lock (or suspend) the client's SolusIO user:
    one row per invoice and stage, so each warning goes out once."""

    __tablename__ = "mod_solusio_status_warnings"
    __table_args__ = (UniqueConstraint("invoice_id", "stage"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(Integer, index=True)
    stage: Mapped[str] = mapped_column(String(20))  # lock | suspend
    #: The day the email named: when the lock (or suspension) would happen.
    effective_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BillingBatch(Base):
    """A range of clients of one month's invoicing, claimed by one worker at a time.

    A run with ``--workers`` plans a *generation* of batches for a month (the clients still
    unbilled, in client-id ranges); each worker holds its batch row locked (``FOR UPDATE SKIP
    LOCKED``) while it bills the range, then marks it done with what it did. A worker that dies
    releases its lock with its connection, so another takes the batch over at once; billing a
    client twice is impossible anyway (the ledger's unique key)."""

    __tablename__ = "mod_solusio_billing_batches"
    # Named explicitly: the convention's name would pass MariaDB's 64-character limit.
    __table_args__ = (UniqueConstraint("period_start", "generation", "first_client_id",
                                       name="uq_mod_solusio_billing_batches_slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    generation: Mapped[int] = mapped_column(Integer)
    first_client_id: Mapped[int] = mapped_column(Integer)
    last_client_id: Mapped[int] = mapped_column(Integer)
    clients: Mapped[int] = mapped_column(Integer)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
    done_by: Mapped[str] = mapped_column(String(100), default="")
    invoiced: Mapped[int] = mapped_column(Integer, default=0)
    no_usage: Mapped[int] = mapped_column(Integer, default=0)
    already_billed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    #: What the batch invoiced per currency, as JSON ({"USD": "12.34"}): exact decimal strings.
    amounts: Mapped[str] = mapped_column(Text, default="{}")
    #: The reasons of its failures, one per line (the first few).
    failures: Mapped[str] = mapped_column(Text, default="")
