"""The invoice API (the analogue of WHMCS's CreateInvoice and AddInvoicePayment).

* ``create`` adds an invoice with its items to the caller's session (so an addon can commit it
  together with its own bookkeeping); ``create_invoice`` does the same in its own transaction and
  emails it after the commit.
* ``add_payment`` records a payment (:mod:`hostsim.services.payments`); when it settles the
  invoice, the invoice is Paid, the receipt is mailed and ``invoice_paid`` fires, after the commit.
* with the host setting ``credit_auto_apply`` on, new invoices take the client's credit at
  creation, in the caller's transaction (:mod:`hostsim.services.credit`).
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hostsim import formatting
from hostsim.db.base import table_of
from hostsim.db.bulk import insert_returning_ids
from hostsim.db.locking import get_for_update
from hostsim.db.models import Client, Currency, Invoice, InvoiceItem, InvoiceStatus
from hostsim.money import format_money, minor_unit, round_money
from hostsim.plugins.gateway_types import PayableInvoice
from hostsim.services.mail import Outgoing

if TYPE_CHECKING:
    from hostsim.host import Host


class InvoiceError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class InvoiceSpec:
    """One invoice for :meth:`InvoiceService.create_many`."""

    client_id: int
    items: Sequence["NewItem"]
    invoice_date: date | None = None
    due_date: date | None = None
    status: InvoiceStatus = InvoiceStatus.UNPAID
    payment_method: str = ""
    notes: str = ""


@dataclass(frozen=True)
class CreatedInvoice:
    id: int
    client_id: int
    total: Decimal
    item_ids: tuple[int, ...]


@dataclass(frozen=True)
class EmailItem:
    description: str
    amount: Decimal


@dataclass(frozen=True)
class EmailInvoice:
    """What an invoice email template sees as ``invoice``."""

    id: int
    date: dt.date
    due_date: dt.date
    subtotal: Decimal
    total: Decimal
    status: str
    currency_code: str
    items: list[EmailItem]
    #: The payment method's human name ("Card (Sandbox)"), '' while none is chosen.
    payment_method: str = ""


@dataclass(frozen=True)
class EmailClient:
    """What an invoice email template sees as ``client``."""

    id: int
    first_name: str
    last_name: str
    company: str
    email: str


@dataclass(frozen=True)
class NewItem:
    description: str
    amount: Decimal
    type: str = ""
    rel_id: int = 0
    #: Optional, for the invoice page and PDF: ``quantity`` ``unit`` at ``unit_price`` each
    #: (1234 tokens at 0.0125). ``amount`` is the line's money, rounded by the caller.
    quantity: int | None = None
    unit: str = ""
    unit_price: Decimal | None = None


def check_amount(value: object, field: str, code: str, *, positive: bool = False) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal):
        raise InvoiceError(field, "must be a Decimal amount")
    if not value.is_finite():
        raise InvoiceError(field, "must be a finite amount")
    exponent = value.as_tuple().exponent
    places = minor_unit(code)
    if isinstance(exponent, int) and -exponent > places:
        raise InvoiceError(field, f"{value} has more than {places} decimal places for {code}")
    if positive and value <= 0:
        raise InvoiceError(field, "must be greater than zero")
    return value


def _quantity_columns(item: NewItem, n: int) -> dict[str, Any]:
    if item.quantity is not None and (isinstance(item.quantity, bool) or not isinstance(item.quantity, int)
                                      or item.quantity < 0):
        raise InvoiceError(f"items[{n}].quantity", "must be a whole number, not negative")
    if item.unit_price is not None and (isinstance(item.unit_price, float) or not isinstance(item.unit_price, Decimal)
                                        or not item.unit_price.is_finite() or item.unit_price < 0):
        raise InvoiceError(f"items[{n}].unit_price", "must be a Decimal amount, not negative")
    if len(item.unit) > 32:
        raise InvoiceError(f"items[{n}].unit", "is longer than 32 characters")
    return {"quantity": item.quantity, "unit": item.unit.strip(), "unit_price": item.unit_price}


class InvoiceService:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def create(self, session: Session, *, client_id: int, items: Sequence[NewItem], invoice_date: date | None = None,
               due_date: date | None = None, status: InvoiceStatus = InvoiceStatus.UNPAID, payment_method: str = "",
               notes: str = "") -> Invoice:
        """Validate and add an invoice to ``session``; the caller commits. Amounts in the client's currency."""
        created = self.create_many(session, [InvoiceSpec(client_id, items, invoice_date, due_date, status,
                                                         payment_method, notes)])
        invoice = session.get(Invoice, created[0].id)
        assert invoice is not None
        return invoice

    def create_many(self, session: Session, specs: Sequence["InvoiceSpec"]) -> list["CreatedInvoice"]:
        """Validate every invoice, then insert them all with a few bulk statements (a billing run
        creates thousands). Nothing is inserted when any spec is invalid; the caller commits."""
        client_ids = sorted({spec.client_id for spec in specs})
        clients = {cid: (currency_id, code) for cid, currency_id, code in session.execute(
            select(Client.id, Client.currency_id, Currency.code).join(Currency, Currency.id == Client.currency_id)
            .where(Client.id.in_(client_ids))).all()}
        today, now = self.host.clock.today(), self.host.clock.now()
        invoice_rows: list[dict[str, Any]] = []
        item_rows: list[list[dict[str, Any]]] = []
        for spec in specs:
            if spec.client_id not in clients:
                raise InvoiceError("client_id", f"no client #{spec.client_id}")
            if not spec.items:
                raise InvoiceError("items", "an invoice needs at least one item")
            if spec.status not in (InvoiceStatus.DRAFT, InvoiceStatus.UNPAID):
                raise InvoiceError("status", "a new invoice is Draft or Unpaid")
            invoice_date = spec.invoice_date or today
            due_date = spec.due_date or invoice_date
            if due_date < invoice_date:
                raise InvoiceError("due_date", "must not be before the invoice date")
            currency_id, code = clients[spec.client_id]
            rows: list[dict[str, Any]] = []
            for n, item in enumerate(spec.items, 1):
                if not (item.description or "").strip():
                    raise InvoiceError(f"items[{n}].description", "must not be empty")
                rows.append({"type": item.type, "rel_id": item.rel_id, "description": item.description.strip(),
                             "amount": check_amount(item.amount, f"items[{n}].amount", code),
                             **_quantity_columns(item, n)})
            subtotal = sum((row["amount"] for row in rows), Decimal("0"))
            invoice_rows.append({"client_id": spec.client_id, "currency_id": currency_id, "date": invoice_date,
                                 "due_date": due_date, "subtotal": subtotal, "credit": Decimal("0"),
                                 "tax": Decimal("0"), "total": subtotal, "status": spec.status,
                                 "payment_method": spec.payment_method, "notes": spec.notes, "created_at": now})
            item_rows.append(rows)
        if not invoice_rows:
            return []
        # Core inserts (the ORM's bulk path costs more than the rows) returning ids in order.
        ids = insert_returning_ids(session, table_of(Invoice), invoice_rows)
        flat = [{**row, "invoice_id": invoice_id} for invoice_id, rows in zip(ids, item_rows) for row in rows]
        item_ids = iter(insert_returning_ids(session, table_of(InvoiceItem), flat))
        created = [CreatedInvoice(invoice_id, row["client_id"], row["total"], tuple(next(item_ids) for _ in rows))
                   for invoice_id, row, rows in zip(ids, invoice_rows, item_rows)]
        # The host setting: one read per batch when it is off, in this same transaction when on.
        if self.host.credit.auto_apply_enabled(session):
            self.host.credit.apply_to_new(session, created)
        return created

    def create_invoice(self, *, client_id: int, items: Sequence[NewItem], invoice_date: date | None = None,
                       due_date: date | None = None, status: InvoiceStatus = InvoiceStatus.UNPAID,
                       send_email: bool = False, payment_method: str = "", actor: str = "System") -> int:
        mail: list[int] = []
        with self.host.transaction() as s:
            invoice = self.create(s, client_id=client_id, items=items, invoice_date=invoice_date, due_date=due_date,
                                  status=status, payment_method=payment_method)
            self.host.activity.log(f"Invoice #{invoice.id} created", actor=actor, client_id=client_id, session=s)
            invoice_id = invoice.id
            if send_email and status is InvoiceStatus.UNPAID:  # committed with the invoice
                mail = self.host.mail.queue(s, self.invoice_emails([invoice_id], session=s))
        self.host.mail.deliver(mail)
        return invoice_id

    def get(self, invoice_id: int) -> Invoice | None:
        with self.host.sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            if invoice is not None:
                invoice.items, invoice.payments  # load while the session is open
            return invoice

    def balance(self, invoice: Invoice) -> Decimal:
        return invoice.total - invoice.credit - sum((p.amount for p in invoice.payments), Decimal("0"))

    def add_payment(self, invoice_id: int, amount: Decimal, *, gateway: str = "manual", transaction_id: str = "",
                    actor: str = "System") -> bool:
        """Record a payment (see :mod:`hostsim.services.payments`). True when it made the invoice
        Paid (then the receipt was mailed and ``invoice_paid`` fired)."""
        return self.host.payments.record(invoice_id, amount, gateway=gateway, transaction_id=transaction_id,
                                         actor=actor).paid

    def set_status(self, invoice_id: int, status: InvoiceStatus, *, actor: str = "System") -> None:
        """Cancel, refund or send to collections (Paid only through ``add_payment``)."""
        if status in (InvoiceStatus.PAID, InvoiceStatus.DRAFT):
            raise InvoiceError("status", f"an invoice cannot be set to {status.value} directly")
        with self.host.transaction() as s:
            invoice = get_for_update(s, Invoice, invoice_id)
            if invoice is None:
                raise InvoiceError("invoice_id", f"no invoice #{invoice_id}")
            if invoice.status is status:
                return
            old = invoice.status
            invoice.status = status
            self.host.activity.log(f"Invoice #{invoice_id} status {old.value} -> {status.value}", actor=actor,
                                   client_id=invoice.client_id, session=s)

    # --- emails ---------------------------------------------------------------------------

    def _messages(self, invoice_ids: Sequence[int], template: str, subject: str,
                  session: Session | None = None) -> list[Outgoing]:
        """Render one email per invoice, reading through ``session`` when given (to mail what the
        caller's transaction just wrote). Templates receive plain values (see ``EmailInvoice``):
        a billing run mails thousands, and loading each invoice as ORM objects would dominate it."""
        company = self.host.settings.get("company_name")
        page = self.host.templates.env.get_template(f"emails/{template}.txt")
        ids = list(invoice_ids)
        with nullcontext(session) if session is not None else self.host.sessions() as s:
            heads = s.execute(
                select(Invoice.id, Invoice.client_id, Invoice.date, Invoice.due_date, Invoice.subtotal,
                       Invoice.total, Invoice.credit, Invoice.status, Invoice.payment_method, Client.first_name,
                       Client.last_name, Client.company, Client.email, Currency.code)
                .join(Client, Client.id == Invoice.client_id).join(Currency, Currency.id == Invoice.currency_id)
                .where(Invoice.id.in_(ids)).order_by(Invoice.id)).all()
            items: dict[int, list[EmailItem]] = {}
            for invoice_id, description, amount in s.execute(
                    select(InvoiceItem.invoice_id, InvoiceItem.description, InvoiceItem.amount)
                    .where(InvoiceItem.invoice_id.in_(ids)).order_by(InvoiceItem.id)).all():
                items.setdefault(invoice_id, []).append(EmailItem(description, amount))
        today, base_url = self.host.clock.today(), self.host.config.base_url
        # How to pay (Bank Transfer's details with the invoice number), once per message.
        write_instructions = self.host.payment_gateways.instructions_writer()
        method_names = self.host.payment_gateways.display_names()
        messages = []
        for h in heads:
            invoice = EmailInvoice(h.id, h.date, h.due_date, h.subtotal, h.total, h.status.value, h.code,
                                   items.get(h.id, []), method_names.get(h.payment_method, h.payment_method))
            client = EmailClient(h.client_id, h.first_name, h.last_name, h.company, h.email)
            payable = PayableInvoice(h.id, h.client_id, f"{h.first_name} {h.last_name}".strip(), h.email, h.code,
                                     round_money(h.total, h.code), round_money(max(h.total - h.credit, Decimal("0")),
                                                                               h.code),
                                     h.due_date, f"{base_url}/clientarea/invoices/{h.id}")
            instructions = write_instructions(payable, h.payment_method) if h.status.value == "Unpaid" else ""
            with formatting.viewing_as(formatting.DEFAULT_LOCALE):  # a receipt sent from a web request too
                body = page.render(invoice=invoice, client=client, company=company, base_url=base_url, today=today,
                                   instructions=instructions,
                                   money=lambda amount, code=h.code: format_money(amount, code))
            messages.append(Outgoing(h.email, subject.format(id=h.id, company=company), body, client_id=h.client_id))
        return messages

    def invoice_emails(self, invoice_ids: Sequence[int], *, session: Session | None = None) -> list[Outgoing]:
        """The "Customer Invoice" messages of several invoices, rendered, not yet queued."""
        return self._messages(invoice_ids, "invoice_created", "Customer Invoice #{id}", session)

    def notice_emails(self, invoice_ids: Sequence[int], template: str, subject: str, *,
                      session: Session | None = None) -> list[Outgoing]:
        """Messages of theme template ``emails/<template>.txt`` (a reminder, an overdue notice);
        ``subject`` may name ``{id}`` and ``{company}``."""
        return self._messages(invoice_ids, template, subject, session)

    def receipt_emails(self, invoice_ids: Sequence[int], *, session: Session | None = None) -> list[Outgoing]:
        """The "Invoice Payment Confirmation" messages, rendered, not yet queued."""
        return self._messages(invoice_ids, "invoice_payment_confirmation", "Invoice Payment Confirmation #{id}",
                              session)
