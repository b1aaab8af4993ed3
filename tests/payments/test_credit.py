"""Account credit: apply, auto-apply at invoice creation, never negative, never spent twice."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from hostsim.db.models import CreditEntry, Invoice, InvoiceStatus
from hostsim.services.credit import CreditError
from hostsim.services.invoices import InvoiceSpec, NewItem
from tests.payments.conftest import add_client, add_invoice


def test_admin_adds_and_removes_credit_with_a_reason(pay_host):
    client_id = add_client(pay_host, "ann@example.com")
    assert pay_host.credit.adjust(client_id, Decimal("20.00"), reason="Goodwill", actor="boss") == Decimal("20.00")
    assert pay_host.credit.adjust(client_id, Decimal("-5.50"), reason="Correction", actor="boss") == Decimal("14.50")
    with pytest.raises(CreditError) as err:
        pay_host.credit.adjust(client_id, Decimal("-14.51"), reason="Too much")
    assert err.value.field == "amount"
    with pytest.raises(CreditError) as err:
        pay_host.credit.adjust(client_id, Decimal("1"), reason="  ")
    assert err.value.field == "reason"
    assert [(e.amount, e.balance, e.reason) for e in reversed(pay_host.credit.history(client_id))] == [
        (Decimal("20.0000"), Decimal("20.0000"), "Goodwill"), (Decimal("-5.5000"), Decimal("14.5000"), "Correction")]
    assert pay_host.credit.balance(client_id) == Decimal("14.50")


def test_applying_credit_pays_part_or_all_of_an_invoice(pay_host):
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = add_invoice(pay_host, client_id, "30.00")
    pay_host.credit.adjust(client_id, Decimal("50.00"), reason="Prepaid")
    part = pay_host.credit.apply(invoice_id, Decimal("10.00"))
    assert (part.amount, part.paid) == (Decimal("10.00"), False)
    rest = pay_host.credit.apply(invoice_id)
    assert (rest.amount, rest.paid) == (Decimal("20.00"), True)
    with pay_host.sessions() as s:
        invoice = s.get(Invoice, invoice_id)
        assert (invoice.status, invoice.credit, invoice.payment_method) == (InvoiceStatus.PAID, Decimal("30.0000"),
                                                                           "credit")
    assert pay_host.credit.balance(client_id) == Decimal("20.00")
    with pytest.raises(CreditError):
        pay_host.credit.apply(invoice_id)  # Paid: nothing to apply


def test_a_client_cannot_apply_more_than_they_have_or_to_someone_elses_invoice(pay_host):
    ann = add_client(pay_host, "ann@example.com")
    bob = add_client(pay_host, "bob@example.com")
    invoice_id = add_invoice(pay_host, ann, "30.00")
    pay_host.credit.adjust(ann, Decimal("5.00"), reason="x")
    with pytest.raises(CreditError):
        pay_host.credit.apply(invoice_id, Decimal("6.00"))
    with pytest.raises(CreditError):
        pay_host.credit.apply(invoice_id, client_id=bob)
    assert pay_host.credit.balance(ann) == Decimal("5.00")


def test_auto_apply_at_invoice_creation_in_the_same_transaction(pay_host):
    ann = add_client(pay_host, "ann@example.com")
    bob = add_client(pay_host, "bob@example.com")
    pay_host.credit.adjust(ann, Decimal("25.00"), reason="Prepaid")
    pay_host.settings.set_many({"credit_auto_apply": "on"})
    with pay_host.transaction() as s:  # a month-end run: a batch of invoices in one transaction
        created = pay_host.invoices.create_many(s, [
            InvoiceSpec(ann, [NewItem("Usage A", Decimal("10.00"))]),
            InvoiceSpec(ann, [NewItem("Usage B", Decimal("20.00"))]),
            InvoiceSpec(bob, [NewItem("Usage C", Decimal("7.00"))]),
        ])
    with pay_host.sessions() as s:
        rows = [s.get(Invoice, c.id) for c in created]
        assert [(r.status, r.credit) for r in rows] == [(InvoiceStatus.PAID, Decimal("10.0000")),
                                                        (InvoiceStatus.UNPAID, Decimal("15.0000")),
                                                        (InvoiceStatus.UNPAID, Decimal("0.0000"))]
        assert len(list(s.scalars(select(CreditEntry).where(CreditEntry.client_id == ann)))) == 3
    assert pay_host.credit.balance(ann) == Decimal("0.00")


def test_auto_apply_off_leaves_credit_alone(pay_host):
    ann = add_client(pay_host, "ann@example.com")
    pay_host.credit.adjust(ann, Decimal("25.00"), reason="Prepaid")
    invoice_id = add_invoice(pay_host, ann, "10.00")
    with pay_host.sessions() as s:
        assert s.get(Invoice, invoice_id).credit == Decimal("0")
    assert pay_host.credit.balance(ann) == Decimal("25.00")


def test_a_rolled_back_batch_spends_no_credit(pay_host):
    ann = add_client(pay_host, "ann@example.com")
    pay_host.credit.adjust(ann, Decimal("25.00"), reason="Prepaid")
    pay_host.settings.set_many({"credit_auto_apply": "on"})
    with pytest.raises(RuntimeError), pay_host.transaction() as s:
        pay_host.invoices.create_many(s, [InvoiceSpec(ann, [NewItem("Usage", Decimal("10.00"))])])
        raise RuntimeError("the run failed after billing")
    assert pay_host.credit.balance(ann) == Decimal("25.00")


def test_concurrent_applications_never_double_spend(pay_host):
    """Real threads, each with its own connection: on PostgreSQL and MariaDB (and SQLite) the
    client's row lock serialises them; the credit covers one invoice only."""
    ann = add_client(pay_host, "ann@example.com")
    invoices = [add_invoice(pay_host, ann, "10.00") for _ in range(4)]
    pay_host.credit.adjust(ann, Decimal("15.00"), reason="Prepaid")
    start = threading.Barrier(len(invoices))
    applied: list[Decimal] = []
    refused: list[str] = []

    def spend(invoice_id: int) -> None:
        start.wait()
        try:
            applied.append(pay_host.credit.apply(invoice_id, Decimal("10.00")).amount)
        except CreditError as exc:
            refused.append(exc.field)

    threads = [threading.Thread(target=spend, args=(i,)) for i in invoices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert applied == [Decimal("10.00")] and refused == ["amount"] * 3
    assert pay_host.credit.balance(ann) == Decimal("5.00")
    with pay_host.sessions() as s:
        entries = list(s.scalars(select(CreditEntry).where(CreditEntry.client_id == ann).order_by(CreditEntry.id)))
    assert [e.balance for e in entries] == [Decimal("15.0000"), Decimal("5.0000")]
