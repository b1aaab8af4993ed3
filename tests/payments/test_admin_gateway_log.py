"""The admin's Gateway Log page: every callback, newest first, in words, with its masked raw body."""

from __future__ import annotations

import re

from hostsim.db.models import GatewayLog
from hostsim.services.bootstrap import create_admin
from tests.payments.conftest import SANDBOX_SECRET, add_client, add_invoice, signed
from tests.web.conftest import ADMIN_PASSWORD, login_admin

PAGE = "/admin/gateways/log"
CALLBACK = "/modules/gateways/callback/sandbox"
CARD = "4242424242424242"


def rows(html: str) -> list[str]:
    body = re.search(r'<table class="gateway-log">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, "no log table"
    return re.findall(r"<tr data-outcome=.*?</tr>", body.group(1), re.S)


def test_a_signed_sandbox_callback_is_listed_in_words(pay_admin, pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "25.00")
    # The hosted page never sends the card number; a careless processor might: it is masked.
    assert processor.post(CALLBACK, data={**signed(invoice_id, "25.00", txn="sbx_77"),
                                          "card_number": CARD}).status_code == 302
    html = pay_admin.get(PAGE).get_data(as_text=True)
    [row] = rows(html)
    assert "<td>Card (Sandbox)</td>" in row and "<td>Paid</td>" in row and "sbx_77" in row
    assert f'<a href="/admin/invoices/{invoice_id}">#{invoice_id}</a>' in row
    raw = re.search(r"<details><summary>Raw request</summary><pre[^>]*>(.*?)</pre></details>", row, re.S).group(1)
    assert "transaction_id=sbx_77" in raw and "card_number=****" in raw
    assert CARD not in html and SANDBOX_SECRET not in html
    assert 'href="/admin/gateways/log"' in pay_admin.get("/admin/").get_data(as_text=True)  # in the navigation


def test_newest_first_and_filtered_by_gateway_and_outcome(pay_admin, pay_host, processor):
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "25.00")
    processor.post(CALLBACK, data={**signed(invoice_id, "25.00", txn="sbx_forged"), "signature": "0" * 64})
    processor.post(CALLBACK, data=signed(invoice_id, "25.00", txn="sbx_good"))
    processor.post("/modules/gateways/callback/banktransfer", data={"note": "hello"})
    listed = rows(pay_admin.get(PAGE).get_data(as_text=True))
    assert len(listed) == 3
    assert "Ignored (not a payment)" in listed[0] and "<td>Paid</td>" in listed[1] and "Invalid signature" in listed[2]
    assert "<td>Bank Transfer</td>" in listed[0]
    only_forged = rows(pay_admin.get(f"{PAGE}?outcome=invalid_signature").get_data(as_text=True))
    assert len(only_forged) == 1 and "Invalid signature" in only_forged[0]
    sandbox = rows(pay_admin.get(f"{PAGE}?gateway=sandbox").get_data(as_text=True))
    assert len(sandbox) == 2 and all("Card (Sandbox)" in r for r in sandbox)
    none = pay_admin.get(f"{PAGE}?gateway=mailin&outcome=paid").get_data(as_text=True)
    assert rows(none) == [] and "No callback matches the filter." in none


def test_an_invoice_that_does_not_exist_is_not_linked(pay_admin, pay_host, processor):
    processor.post(CALLBACK, data=signed(999, "5.00", txn="sbx_ghost"))
    [row] = rows(pay_admin.get(PAGE).get_data(as_text=True))
    assert "#999 (no such invoice)" in row and "/admin/invoices/999" not in row and "Unknown invoice" in row


def test_pages_of_fifty(pay_admin, pay_host):
    with pay_host.transaction() as s:
        for n in range(51):
            s.add(GatewayLog(created_at=pay_host.clock.now(), gateway="sandbox", outcome="declined",
                             transaction_id=f"T-{n:02d}", raw=f"n={n}"))
    first = pay_admin.get(PAGE).get_data(as_text=True)
    assert len(rows(first)) == 50 and "T-50" in rows(first)[0] and "Page 1 of 2" in first
    second = rows(pay_admin.get(f"{PAGE}?page=2").get_data(as_text=True))
    assert len(second) == 1 and "T-00" in second[0]


def test_support_operators_may_read_the_log(pay_host, pay_app):
    create_admin(pay_host, "helper", "helper@example.com", ADMIN_PASSWORD, role="Support Operator")
    helper = pay_app.test_client()
    login_admin(helper, "helper")
    assert helper.get(PAGE).status_code == 200
    assert pay_app.test_client().get(PAGE).status_code == 302  # not logged in: to the login page
