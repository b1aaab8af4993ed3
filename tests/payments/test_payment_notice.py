"""What the invoice page says on coming back from a gateway (``?payment=``): worded from the
invoice's own status, so an edited address never thanks a client for a payment not received."""

from __future__ import annotations

from tests.payments.conftest import add_client, add_invoice, login_client, signed


def notice(browser, invoice_id: int, came_back: str) -> str:  # type: ignore[no-untyped-def]
    page = browser.get(f"/clientarea/invoices/{invoice_id}?payment={came_back}").get_data(as_text=True)
    start = page.find('payment-notice"')
    return page[start:page.find("</p>", start)] if start >= 0 else ""


def test_the_notice_follows_the_invoice_not_the_address(pay_host, pay_app, processor) -> None:  # type: ignore[no-untyped-def]
    invoice_id = add_invoice(pay_host, add_client(pay_host, "ann@example.com"), "12.00")
    browser = pay_app.test_client()
    login_client(browser, "ann@example.com")
    assert "not paid yet" in notice(browser, invoice_id, "done") and 'role="status"' in notice(browser, invoice_id, "done")
    declined = notice(browser, invoice_id, "declined")
    assert f"invoice #{invoice_id} is still unpaid" in declined and 'role="alert"' in declined
    assert notice(browser, invoice_id, "anything") == ""
    assert processor.post("/modules/gateways/callback/sandbox", data=signed(invoice_id, "12.00")).status_code == 302
    assert "your payment was received" in notice(browser, invoice_id, "done")
    assert notice(browser, invoice_id, "declined") == ""  # paid: a stale "declined" says nothing
