"""The contract the host enforces on every gateway callback, seen through the sandbox gateway."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import func, select

from hostsim.db.models import EmailLog, GatewayLog, Invoice, InvoiceStatus, Payment
from tests.payments.conftest import SANDBOX_SECRET, add_client, add_invoice, signed

URL = "/modules/gateways/callback/sandbox"


def payments_of(host, invoice_id):
    with host.sessions() as s:
        return list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.id)))


def status_of(host, invoice_id):
    with host.sessions() as s:
        return s.get(Invoice, invoice_id).status


def log_entries(host):
    with host.sessions() as s:
        return list(s.scalars(select(GatewayLog).order_by(GatewayLog.id)))


def test_a_signed_callback_pays_the_invoice_and_fires_the_receipt(pay_host, processor):
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = add_invoice(pay_host, client_id, "25.00")
    answer = processor.post(URL, data=signed(invoice_id, "25.00"))
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/clientarea/invoices/{invoice_id}?payment=done")
    assert status_of(pay_host, invoice_id) is InvoiceStatus.PAID
    [payment] = payments_of(pay_host, invoice_id)
    assert (payment.amount, payment.gateway, payment.transaction_id) == (Decimal("25.0000"), "sandbox", "sbx_1")
    [entry] = log_entries(pay_host)
    assert (entry.outcome, entry.invoice_id, entry.transaction_id) == ("paid", invoice_id, "sbx_1")
    with pay_host.sessions() as s:
        subjects = list(s.scalars(select(EmailLog.subject)))
    assert f"Invoice Payment Confirmation #{invoice_id}" in subjects


def test_the_same_callback_twice_records_one_payment(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    first = processor.post(URL, data=signed(invoice_id, "4.00", txn="T-1"))
    again = processor.post(URL, data=signed(invoice_id, "4.00", txn="T-1"))
    assert first.status_code == again.status_code == 302
    assert len(payments_of(pay_host, invoice_id)) == 1
    assert [e.outcome for e in log_entries(pay_host)] == ["partial", "duplicate"]
    assert status_of(pay_host, invoice_id) is InvoiceStatus.UNPAID


def test_the_same_callback_concurrently_records_one_payment(pay_host, pay_app):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    data = signed(invoice_id, "10.00", txn="RACE-1")
    start = threading.Barrier(4)
    codes: list[int] = []

    def post() -> None:
        with pay_app.test_client() as c:
            start.wait()
            codes.append(c.post(URL, data=data).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [302] * 4
    assert len(payments_of(pay_host, invoice_id)) == 1
    outcomes = sorted(e.outcome for e in log_entries(pay_host))
    assert outcomes.count("paid") == 1 and len(outcomes) == 4
    assert set(outcomes) - {"paid"} <= {"duplicate"}


def test_a_bad_signature_is_refused_and_logged_with_nothing_recorded(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    forged = signed(invoice_id, "10.00", secret="not-the-secret")
    answer = processor.post(URL, data=forged)
    assert answer.status_code == 403
    assert payments_of(pay_host, invoice_id) == []
    [entry] = log_entries(pay_host)
    assert entry.outcome == "invalid_signature"
    tampered = {**signed(invoice_id, "1.00"), "amount": "10.00"}
    assert processor.post(URL, data=tampered).status_code == 403
    assert status_of(pay_host, invoice_id) is InvoiceStatus.UNPAID


def test_wrong_currency_and_bad_amount_record_nothing(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    # A browser posted these: it is sent back to the invoice; the log says what was refused.
    for answer in (processor.post(URL, data=signed(invoice_id, "10.00", currency="EUR", txn="C")),
                   processor.post(URL, data=signed(invoice_id, "-5.00", txn="N")),
                   processor.post(URL, data=signed(invoice_id, "1.001", txn="D"))):
        assert answer.status_code == 302
    assert payments_of(pay_host, invoice_id) == []
    assert [e.outcome for e in log_entries(pay_host)] == ["currency_mismatch", "bad_amount", "bad_amount"]


def test_partial_payments_then_the_rest_pay_the_invoice(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    processor.post(URL, data=signed(invoice_id, "3.00", txn="P1"))
    assert status_of(pay_host, invoice_id) is InvoiceStatus.UNPAID
    processor.post(URL, data=signed(invoice_id, "7.00", txn="P2"))
    assert status_of(pay_host, invoice_id) is InvoiceStatus.PAID
    assert [p.amount for p in payments_of(pay_host, invoice_id)] == [Decimal("3.0000"), Decimal("7.0000")]
    assert [e.outcome for e in log_entries(pay_host)] == ["partial", "paid"]


def test_an_overpayment_becomes_credit(pay_host, processor):
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = add_invoice(pay_host, client_id, "10.00")
    processor.post(URL, data=signed(invoice_id, "12.50", txn="O1"))
    assert status_of(pay_host, invoice_id) is InvoiceStatus.PAID
    assert pay_host.credit.balance(client_id) == Decimal("2.50")
    assert log_entries(pay_host)[-1].outcome == "overpaid"


def test_unknown_and_paid_invoices_are_refused(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    assert processor.post(URL, data=signed(999999, "10.00", txn="U")).status_code == 302  # the browser goes back
    processor.post(URL, data=signed(invoice_id, "10.00", txn="A"))
    processor.post(URL, data=signed(invoice_id, "10.00", txn="B"))
    assert len(payments_of(pay_host, invoice_id)) == 1
    assert [e.outcome for e in log_entries(pay_host)] == ["unknown_invoice", "paid", "not_unpaid"]


def test_inactive_or_unknown_gateway_is_refused_and_logged(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    pay_host.payment_gateways.deactivate("sandbox")
    assert processor.post(URL, data=signed(invoice_id, "10.00")).status_code == 404
    assert processor.post("/modules/gateways/callback/nosuch", data={"x": "1"}).status_code == 404
    assert [e.outcome for e in log_entries(pay_host)] == ["inactive_gateway", "unknown_gateway"]
    assert payments_of(pay_host, invoice_id) == []


def test_the_log_masks_secrets(pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "10.00")
    processor.post(URL, data={**signed(invoice_id, "10.00"), "card_number": "4242424242424242",
                              "echo": SANDBOX_SECRET})
    [entry] = log_entries(pay_host)
    assert "4242424242424242" not in entry.raw and SANDBOX_SECRET not in entry.raw
    assert "card_number=****" in entry.raw and f"invoice_id={invoice_id}" in entry.raw
    with pay_host.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
