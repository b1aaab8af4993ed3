"""The client's invoice page: Pay Now through the sandbox's hosted page, bank instructions, credit."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

from hostsim.db.models import Invoice, InvoiceStatus
from tests.payments.conftest import add_client, add_invoice, login_client
from tests.web.conftest import csrf_of

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_pay_now_through_the_sandbox_hosted_page(pay_host, pay_app):
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = add_invoice(pay_host, client_id, "12.00")
    browser = pay_app.test_client()
    login_client(browser, "ann@example.com")
    page = browser.get(f"/clientarea/invoices/{invoice_id}").get_data(as_text=True)
    assert "Pay Now" in page and "Card (Sandbox)" in page and "Bank Transfer" in page
    assert "banktransfer" not in page.replace('value="banktransfer"', "")  # human names only
    to_gateway = browser.post(f"/clientarea/invoices/{invoice_id}/pay",
                              data={"csrf_token": csrf_of(page), "gateway": "sandbox"})
    assert to_gateway.status_code == 302
    hosted = urlsplit(to_gateway.headers["Location"])
    assert hosted.path == "/modules/gateways/sandbox/pay"
    form = browser.get(f"{hosted.path}?{hosted.query}").get_data(as_text=True)
    assert "SANDBOX" in form and "$12.00" in form
    fields = dict(HIDDEN.findall(form))
    approved = browser.post(hosted.path, data={**fields, "card_number": "4242 4242 4242 4242"}).get_data(as_text=True)
    callback = dict(HIDDEN.findall(approved))
    assert "Payment approved" in approved and set(callback) >= {"transaction_id", "signature"}
    back = browser.post("/modules/gateways/callback/sandbox", data=callback)
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/clientarea/invoices/{invoice_id}?payment=done")
    with pay_host.sessions() as s:
        assert s.get(Invoice, invoice_id).status is InvoiceStatus.PAID
    paid_page = browser.get(f"/clientarea/invoices/{invoice_id}").get_data(as_text=True)
    assert "Card (Sandbox)" in paid_page and callback["transaction_id"] in paid_page


def test_a_tampered_hosted_page_request_is_refused(pay_host, pay_app):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "12.00")
    browser = pay_app.test_client()
    assert browser.get(f"/modules/gateways/sandbox/pay?invoice_id={invoice_id}&amount=0.01&currency=USD"
                       "&signature=00").status_code == 400
    pay_host.payment_gateways.deactivate("sandbox")
    assert browser.get("/modules/gateways/sandbox/pay").status_code == 404


def test_bank_transfer_instructions_name_the_invoice(pay_host, pay_app):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "12.00")
    text = pay_host.payment_gateways.instructions(invoice_id)
    assert "IBAN" in text and f"Reference: Invoice #{invoice_id}" in text  # sandbox has none; bank is next
    browser = pay_app.test_client()
    login_client(browser, "ann@example.com")
    page = browser.get(f"/clientarea/invoices/{invoice_id}?method=banktransfer").get_data(as_text=True)
    assert f"Reference: Invoice #{invoice_id}" in page


def test_the_client_applies_credit_from_the_invoice_page(pay_host, pay_app):
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = add_invoice(pay_host, client_id, "12.00")
    pay_host.credit.adjust(client_id, Decimal("5.00"), reason="Goodwill")
    browser = pay_app.test_client()
    login_client(browser, "ann@example.com")
    page = browser.get(f"/clientarea/invoices/{invoice_id}").get_data(as_text=True)
    assert "Apply Credit" in page and "$5.00" in page
    bad = browser.post(f"/clientarea/invoices/{invoice_id}/apply-credit", data={"csrf_token": csrf_of(page),
                                                                                "amount": "6.00"})
    assert bad.status_code == 302 and pay_host.credit.balance(client_id) == Decimal("5.00")
    browser.post(f"/clientarea/invoices/{invoice_id}/apply-credit", data={"csrf_token": csrf_of(page), "amount": ""})
    assert pay_host.credit.balance(client_id) == Decimal("0.00")
    with pay_host.sessions() as s:
        assert s.get(Invoice, invoice_id).credit == Decimal("5.0000")


def test_the_invoice_email_carries_the_bank_instructions(pay_host):
    from sqlalchemy import select

    from hostsim.db.models import EmailLog
    from hostsim.services.invoices import NewItem
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = pay_host.invoices.create_invoice(client_id=client_id, items=[NewItem("Hosting", Decimal("9.00"))],
                                                  send_email=True)
    with pay_host.sessions() as s:
        body = s.scalars(select(EmailLog.body_text).where(EmailLog.subject == f"Customer Invoice #{invoice_id}")).one()
    assert "How to pay:" in body and "IBAN" in body and f"Reference: Invoice #{invoice_id}" in body
    assert "Amount: $9.00" in body
