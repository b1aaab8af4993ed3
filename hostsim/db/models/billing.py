"""Money: currencies, invoices with their items, payments."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hostsim.db.base import Base, UTCDateTime
from hostsim.db.types import ExactDecimal, str_enum


class Currency(Base):
    __tablename__ = "currencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    prefix: Mapped[str] = mapped_column(String(10), default="")
    suffix: Mapped[str] = mapped_column(String(10), default="")
    # WHMCS's format 1..4 (1234.56, 1,234.56, 1.234,56, 1,234); Babel does the rendering.
    format: Mapped[int] = mapped_column(Integer, default=2)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(20, 10), default=Decimal("1"))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InvoiceStatus(str, enum.Enum):
    DRAFT = "Draft"
    UNPAID = "Unpaid"
    PAID = "Paid"
    CANCELLED = "Cancelled"
    REFUNDED = "Refunded"
    COLLECTIONS = "Collections"


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    date_paid: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    subtotal: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    credit: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    tax: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus),
        index=True,
    )
    payment_method: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    client = relationship("Client", lazy="joined")
    currency = relationship("Currency", lazy="joined")
    items: Mapped[list["InvoiceItem"]] = relationship(
        back_populates="invoice", order_by="InvoiceItem.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(back_populates="invoice", order_by="Payment.id")

    def is_overdue(self, today: dt.date) -> bool:
        """Overdue is derived, never stored: Unpaid with a due date in the past."""
        return self.status is InvoiceStatus.UNPAID and self.due_date < today

    def display_status(self, today: dt.date) -> str:
        return "Overdue" if self.is_overdue(today) else self.status.value


class InvoiceItem(Base):
    __tablename__ = "invoice_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    # Free text an addon sets so it can find its own lines again (WHMCS "type" + "relid").
    type: Mapped[str] = mapped_column(String(64), default="")
    rel_id: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    # Optional: how many of what at which price made ``amount`` (a usage line: 1234 tokens at
    # 0.0125); shown on the invoice page and PDF when set. ``amount`` stays the line's money.
    quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    unit: Mapped[str] = mapped_column(String(32), default="", server_default="")
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    invoice: Mapped[Invoice] = relationship(back_populates="items")


class Payment(Base):
    __tablename__ = "payments"
    # The same gateway transaction is one payment, however often its callback arrives.
    __table_args__ = (UniqueConstraint("gateway", "txn_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    date: Mapped[datetime] = mapped_column(UTCDateTime())
    gateway: Mapped[str] = mapped_column(String(100), default="")
    transaction_id: Mapped[str] = mapped_column(String(255), default="")
    #: ``transaction_id`` when there is one, else NULL (NULLs never collide in the UNIQUE).
    txn_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # A refund is a negative payment pointing at the payment it returns, so the balance, income
    # and every list of payments account for it without a second place to look.
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True, index=True)
    #: How a refund returned the money: "gateway", "manual" or "credit"; "" for a payment.
    refund_method: Mapped[str] = mapped_column(String(20), default="", server_default="")
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: The refund form's one-time key: a double submit records one refund.
    request_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    invoice: Mapped[Invoice] = relationship(back_populates="payments")
