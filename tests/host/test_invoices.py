"""The invoice API: atomic creation, payments, InvoicePaid after the commit, overdue derived."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hostsim.addon_api import AddonConfig, hookimpl
from hostsim.db.models import EmailLog, Invoice, InvoiceItem, InvoiceStatus
from hostsim.services.invoices import InvoiceError, NewItem
from tests.host.test_money import make_client


def count(host, model) -> int:
    with host.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_bad_item_creates_nothing(host):
    client_id = make_client(host)
    with pytest.raises(InvoiceError, match=r"items\[2\].description"):
        host.invoices.create_invoice(client_id=client_id, items=[NewItem("ok", Decimal("1.00")), NewItem(" ", Decimal("2"))])
    assert count(host, Invoice) == 0 and count(host, InvoiceItem) == 0


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"client_id": 999}, "client_id"),
    ({"items": []}, "items"),
    ({"invoice_date": date(2026, 8, 2), "due_date": date(2026, 8, 1)}, "due_date"),
    ({"status": InvoiceStatus.PAID}, "status"),
])
def test_invalid_input_names_the_field(host, kwargs, field):
    client_id = make_client(host)
    args = {"client_id": client_id, "items": [NewItem("x", Decimal("1"))], **kwargs}
    with pytest.raises(InvoiceError) as err:
        host.invoices.create_invoice(**args)
    assert err.value.field == field


def test_invoice_email_is_sent_when_asked(host):
    client_id = make_client(host)
    invoice_id = host.invoices.create_invoice(client_id=client_id, items=[NewItem("VM usage", Decimal("12.34"))],
                                              send_email=True)
    with host.sessions() as s:
        mail = s.scalars(select(EmailLog)).one()
    assert mail.subject == f"Customer Invoice #{invoice_id}"
    assert "$12.34" in mail.body_text and mail.to == "ann@example.com"


class PaidWatcher:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []

    @hookimpl
    def addon_config(self):
        return AddonConfig(name="Watcher", version="1")

    @hookimpl
    def invoice_paid(self, host, invoice_id):
        # Runs after the commit: a fresh session already sees the invoice as Paid.
        with host.sessions() as s:
            self.seen.append((invoice_id, s.get(Invoice, invoice_id).status.value))


def test_payment_marks_paid_and_fires_invoice_paid_after_commit(make_host):
    watcher = PaidWatcher()
    host = make_host(("watcher", watcher))
    host.lifecycle.activate("watcher")
    client_id = make_client(host)
    invoice_id = host.invoices.create_invoice(client_id=client_id, items=[NewItem("x", Decimal("10.00"))])
    assert host.invoices.add_payment(invoice_id, Decimal("4.00")) is False
    assert watcher.seen == []
    assert host.invoices.add_payment(invoice_id, Decimal("6.00"), transaction_id="tx-2") is True
    assert watcher.seen == [(invoice_id, "Paid")]
    with pytest.raises(InvoiceError, match="not Unpaid"):
        host.invoices.add_payment(invoice_id, Decimal("1.00"))
    with host.sessions() as s:
        subjects = [m.subject for m in s.scalars(select(EmailLog))]
    assert subjects == [f"Invoice Payment Confirmation #{invoice_id}"]


def test_payment_validation(host):
    client_id = make_client(host)
    invoice_id = host.invoices.create_invoice(client_id=client_id, items=[NewItem("x", Decimal("10.00"))])
    for bad in (Decimal("0"), Decimal("-1"), Decimal("1.001")):
        with pytest.raises(InvoiceError, match="amount"):
            host.invoices.add_payment(invoice_id, bad)
    host.invoices.add_payment(invoice_id, Decimal("1.00"), transaction_id="t1")
    with pytest.raises(InvoiceError, match="transaction_id"):
        host.invoices.add_payment(invoice_id, Decimal("1.00"), transaction_id="t1")


def test_overdue_is_derived(host):
    client_id = make_client(host)
    invoice_id = host.invoices.create_invoice(client_id=client_id, items=[NewItem("x", Decimal("1"))],
                                              invoice_date=date(2026, 8, 1), due_date=date(2026, 8, 8))
    invoice = host.invoices.get(invoice_id)
    assert invoice.display_status(date(2026, 8, 8)) == "Unpaid"
    assert invoice.display_status(date(2026, 8, 9)) == "Overdue"
    host.invoices.set_status(invoice_id, InvoiceStatus.CANCELLED)
    assert host.invoices.get(invoice_id).display_status(date(2026, 9, 1)) == "Cancelled"
