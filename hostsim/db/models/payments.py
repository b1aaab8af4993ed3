"""Getting paid: active payment gateways, their settings and callback log; the credit ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base, UTCDateTime
from hostsim.db.types import ExactDecimal


class Gateway(Base):
    """One row per ACTIVE gateway module; deactivation deletes it (with its settings)."""

    __tablename__ = "gateways"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: Comma-separated currency codes the gateway is offered for; empty means every currency.
    currencies: Mapped[str] = mapped_column(String(255), default="")
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def currency_codes(self) -> list[str]:
        return [c for c in self.currencies.split(",") if c]


class GatewaySetting(Base):
    __tablename__ = "gateway_settings"
    __table_args__ = (UniqueConstraint("gateway", "setting"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(ForeignKey("gateways.name", ondelete="CASCADE"), index=True)
    setting: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class GatewayLog(Base):
    """Every callback a gateway received: raw body (secrets masked) and the host's outcome."""

    __tablename__ = "gateway_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    gateway: Mapped[str] = mapped_column(String(64), index=True)
    invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    transaction_id: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str] = mapped_column(Text, default="")


class CreditEntry(Base):
    """One change of a client's credit balance (``clients.credit``), in the client's currency."""

    __tablename__ = "credit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Positive adds credit, negative spends or removes it.
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: The balance after this entry.
    balance: Mapped[Decimal] = mapped_column(ExactDecimal())
    reason: Mapped[str] = mapped_column(Text, default="")
    invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(255), default="System")
