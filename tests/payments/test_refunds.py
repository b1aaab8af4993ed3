"""Refunds of recorded payments: through the gateway, manual, to credit; never more than was paid."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from hostsim.db.models import ActivityLog, Invoice, InvoiceStatus, Payment
from hostsim.services.refunds import RefundError
from tests.payments.conftest import add_client, add_invoice, login_client
from tests.web.conftest import csrf_of, post_form


def _paid(host, amount: str = "30.00", *, gateway: str = "manual", txn: str = "") -> tuple[int, int, int]:
    """A client, an invoice of ``amount`` paid in full by one payment: (client, invoice, payment)."""
    client_id = add_client(host, "ann@example.com")
    invoice_id = add_invoice(host, client_id, amount)
    payment_id = host.payments.record(invoice_id, Decimal(amount), gateway=gateway, transaction_id=txn).payment_id
    return client_id, invoice_id, payment_id


def _invoice(host, invoice_id: int) -> Invoice:
    invoice = host.invoices.get(invoice_id)
    assert invoice is not None
    return invoice


def _log(host) -> list[str]:
    with host.sessions() as s:
        return list(s.scalars(select(ActivityLog.description).order_by(ActivityLog.id)))


def test_a_partial_manual_refund_leaves_the_invoice_paid_with_the_refund_in_its_balance(pay_host):
    _, invoice_id, payment_id = _paid(pay_host)
    done = pay_host.refunds.refund(payment_id, Decimal("10.00"), method="manual", reason="Goodwill", actor="boss")
    assert (done.amount, done.method, done.invoice_refunded) == (Decimal("10.00"), "manual", False)
    invoice = _invoice(pay_host, invoice_id)
    assert invoice.status is InvoiceStatus.PAID
    assert pay_host.invoices.balance(invoice) == Decimal("10.00")
    assert [(p.amount, p.refund_of_id) for p in invoice.payments] == [
        (Decimal("30.0000"), None), (Decimal("-10.0000"), payment_id)]
    assert pay_host.refunds.refundable(invoice_id)[0].remaining == Decimal("20.00")
    assert _log(pay_host)[-1] == (f"Refund of $10.00 of payment #{payment_id} on invoice #{invoice_id} "
                                  "as a manual refund: Goodwill")


def test_refunding_the_whole_total_makes_the_invoice_refunded(pay_host):
    _, invoice_id, payment_id = _paid(pay_host)
    pay_host.refunds.refund(payment_id, Decimal("12.00"), method="manual", reason="")
    done = pay_host.refunds.refund(payment_id, Decimal("18.00"), method="manual", reason="")
    assert done.invoice_refunded
    assert _invoice(pay_host, invoice_id).status is InvoiceStatus.REFUNDED
    assert pay_host.refunds.refundable(invoice_id) == []
    assert _log(pay_host)[-1].endswith("as a manual refund (invoice refunded)")


def test_more_than_remains_is_refused_naming_the_amount_and_nothing_changes(pay_host):
    _, invoice_id, payment_id = _paid(pay_host)
    pay_host.refunds.refund(payment_id, Decimal("25.00"), method="manual", reason="")
    before = _log(pay_host)
    for amount, field in ((Decimal("5.01"), "amount"), (Decimal("0"), "amount"), (Decimal("1.001"), "amount")):
        with pytest.raises(RefundError) as err:
            pay_host.refunds.refund(payment_id, amount, method="manual", reason="")
        assert err.value.field == field
    assert "$5.00" in str(pytest.raises(RefundError, pay_host.refunds.refund, payment_id, Decimal("6"),
                                        method="manual", reason="").value)
    with pytest.raises(RefundError) as err:
        pay_host.refunds.refund(payment_id, Decimal("1"), method="cheque", reason="")
    assert err.value.field == "method"
    assert len(_invoice(pay_host, invoice_id).payments) == 2 and _log(pay_host) == before


def test_a_credit_refund_raises_the_clients_credit(pay_host):
    client_id, invoice_id, payment_id = _paid(pay_host)
    pay_host.refunds.refund(payment_id, Decimal("30.00"), method="credit", reason="Move to credit", actor="boss")
    assert pay_host.credit.balance(client_id) == Decimal("30.00")
    assert pay_host.credit.history(client_id)[0].reason == f"Refund of payment #{payment_id} of invoice #{invoice_id}"
    assert _invoice(pay_host, invoice_id).status is InvoiceStatus.REFUNDED
    assert f"on invoice #{invoice_id} to the client's credit: Move to credit (invoice refunded)" in _log(pay_host)[-1]


def test_a_sandbox_payment_is_refunded_through_the_gateway_with_its_refund_id(pay_host):
    _, invoice_id, payment_id = _paid(pay_host, gateway="sandbox", txn="sbx_0123456789abcdef0123")
    assert pay_host.refunds.refundable(invoice_id)[0].gateway_refund
    done = pay_host.refunds.refund(payment_id, Decimal("7.50"), method="gateway", reason="Partial")
    assert done.transaction_id.startswith("sbxr_")
    refund = pay_host.refunds.for_invoice(invoice_id)[0]
    assert (refund.amount, refund.gateway, refund.transaction_id) == (Decimal("-7.5000"), "sandbox",
                                                                       done.transaction_id)
    assert (f"on invoice #{invoice_id} through Card (Sandbox) (refund transaction {done.transaction_id}): Partial"
            in _log(pay_host)[-1])
    pay_host.refunds.refund(payment_id, Decimal("22.50"), method="gateway", reason="")
    assert _invoice(pay_host, invoice_id).status is InvoiceStatus.REFUNDED


def test_a_gateway_refusal_records_nothing_and_says_why(pay_host):
    _, invoice_id, payment_id = _paid(pay_host, gateway="sandbox", txn="typed-by-hand")
    before = _log(pay_host)
    with pytest.raises(RefundError) as err:
        pay_host.refunds.refund(payment_id, Decimal("5.00"), method="gateway", reason="")
    assert err.value.field == "method"
    assert "the sandbox has no approved transaction typed-by-hand" in err.value.message
    assert pay_host.refunds.for_invoice(invoice_id) == [] and _log(pay_host) == before


def test_a_manual_payment_cannot_be_refunded_through_a_gateway(pay_host):
    _, invoice_id, payment_id = _paid(pay_host, gateway="banktransfer")
    assert not pay_host.refunds.refundable(invoice_id)[0].gateway_refund
    with pytest.raises(RefundError) as err:
        pay_host.refunds.refund(payment_id, Decimal("5.00"), method="gateway", reason="")
    assert err.value.field == "method" and "Bank Transfer" in err.value.message


def test_the_same_form_twice_records_one_refund(pay_host):
    _, invoice_id, payment_id = _paid(pay_host)
    first = pay_host.refunds.refund(payment_id, Decimal("5.00"), method="manual", reason="", request_key="k1")
    again = pay_host.refunds.refund(payment_id, Decimal("5.00"), method="manual", reason="", request_key="k1")
    assert first.refund_id == again.refund_id and len(pay_host.refunds.for_invoice(invoice_id)) == 1


def test_two_refunds_of_one_payment_at_once_never_exceed_it(pay_host):
    _, invoice_id, payment_id = _paid(pay_host, gateway="sandbox", txn="sbx_race")
    start = threading.Barrier(2)
    done: list[Decimal] = []
    refused: list[str] = []

    def refund(method: str) -> None:
        start.wait()
        try:
            done.append(pay_host.refunds.refund(payment_id, Decimal("20.00"), method=method, reason="").amount)
        except RefundError as exc:
            refused.append(exc.field)

    threads = [threading.Thread(target=refund, args=(m,)) for m in ("gateway", "manual")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert done == [Decimal("20.00")] and refused == ["amount"]
    with pay_host.sessions() as s:
        amounts = list(s.scalars(select(Payment.amount).where(Payment.refund_of_id == payment_id)))
    assert amounts == [Decimal("-20.0000")]
    assert pay_host.invoices.balance(_invoice(pay_host, invoice_id)) == Decimal("20.00")


def _section(html: str) -> str:
    return html.split('id="refund"', 1)[1].split("</section>", 1)[0]


def test_the_admin_refunds_a_sandbox_payment_from_the_invoice_page(pay_admin, pay_host):
    _, invoice_id, payment_id = _paid(pay_host, gateway="sandbox", txn="sbx_page")
    url = f"/admin/invoices/{invoice_id}"
    form = _section(pay_admin.get(url).get_data(as_text=True))
    assert 'name="amount" value="30.00"' in form and ">Through Card (Sandbox)</option>" in form
    assert "Record a manual refund" in form and "Add to the client&#39;s credit" in form
    page = pay_admin.get(url).get_data(as_text=True)
    key = page.split('name="request_key" value="', 1)[1].split('"', 1)[0]
    data = {"csrf_token": csrf_of(page), "payment_id": str(payment_id), "amount": "12.00", "method": "gateway",
            "reason": "Unused month", "request_key": key}
    answer = pay_admin.post(f"{url}/refund", data=data)
    assert answer.status_code == 302
    assert pay_admin.post(f"{url}/refund", data=data).status_code == 302  # a double submit: one refund
    assert len(pay_host.refunds.for_invoice(invoice_id)) == 1
    listed = _section(pay_admin.get(url).get_data(as_text=True))
    assert "Through Card (Sandbox)" in listed and "Unused month" in listed and "$12.00" in listed
    assert 'name="amount" value="18.00"' in listed
    client = pay_admin.application.test_client()  # the client's own page shows the refund
    login_client(client, "ann@example.com")
    mine = client.get(f"/clientarea/invoices/{invoice_id}").get_data(as_text=True)
    assert '<td role="cell" data-label="Method">Refund: Card (Sandbox)</td>' in mine and "-$12.00" in mine


def test_the_refund_form_names_the_field_it_refuses_and_changes_nothing(pay_admin, pay_host):
    _, invoice_id, payment_id = _paid(pay_host, gateway="banktransfer")
    url = f"/admin/invoices/{invoice_id}"
    form = _section(pay_admin.get(url).get_data(as_text=True))
    assert "Through" not in form  # Bank Transfer cannot refund through a processor
    answer = post_form(pay_admin, f"{url}/refund", {"payment_id": str(payment_id), "amount": "30.01",
                                                     "method": "manual", "reason": ""}, token_from=url)
    assert answer.status_code == 400
    assert "Amount: more than what remains to refund of this payment ($30.00)" in answer.get_data(as_text=True)
    answer = post_form(pay_admin, f"{url}/refund", {"payment_id": str(payment_id), "amount": "ten",
                                                     "method": "manual", "reason": ""}, token_from=url)
    assert answer.status_code == 400 and '<span class="field-error">Amount:' in answer.get_data(as_text=True)
    assert pay_admin.post(f"{url}/refund", data={"payment_id": str(payment_id), "amount": "1.00",
                                                 "method": "manual"}).status_code in (400, 403)
    assert pay_host.refunds.for_invoice(invoice_id) == []
