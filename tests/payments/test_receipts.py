"""The "Invoice Payment Confirmation" receipt, through a real SMTP server: mailed when a payment
or the client's own credit settles an invoice, not when credit applied at creation does (WHMCS
sends none there); the activity log names the method in words."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from hostsim.db.models import ActivityLog, EmailLog, Invoice, InvoiceStatus
from hostsim.host import Host
from hostsim.services.invoices import NewItem
from tests.addon_client import conftest as mail_fixtures
from tests.addon_client.conftest import body_of, use_smtp
from tests.payments.conftest import add_client, signed

smtp_server = mail_fixtures.smtp_server  # aiosmtpd on a loopback port
RECEIPT = "Invoice Payment Confirmation #"


def receipts(smtp) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m["Subject"], body_of(m)) for m in smtp.inbox.messages if m["Subject"].startswith(RECEIPT)]


def activity(host: Host, client_id: int) -> list[str]:
    with host.sessions() as s:
        return list(s.scalars(select(ActivityLog.description).where(ActivityLog.client_id == client_id)
                              .order_by(ActivityLog.id)))


def status(host: Host, invoice_id: int) -> InvoiceStatus:
    with host.sessions() as s:
        return s.get(Invoice, invoice_id).status


def test_credit_applied_at_creation_sends_no_receipt_a_payment_does(pay_host, processor, smtp_server) -> None:  # type: ignore[no-untyped-def]
    use_smtp(pay_host, smtp_server)
    pay_host.settings.set_many({"credit_auto_apply": "on"})
    client_id = add_client(pay_host, "ann@example.com")
    pay_host.credit.adjust(client_id, Decimal("20.00"), reason="Goodwill for the July outage", actor="boss")

    covered = pay_host.invoices.create_invoice(client_id=client_id, items=[NewItem("Hosting", Decimal("9.00"))])
    assert status(pay_host, covered) is InvoiceStatus.PAID
    assert receipts(smtp_server) == []
    with pay_host.sessions() as s:
        assert not s.scalars(select(EmailLog.id).where(EmailLog.subject.startswith(RECEIPT))).first()
    assert f"Credit of $9.00 applied to invoice #{covered} (invoice paid)" in activity(pay_host, client_id)

    # The next invoice takes the $11.00 left; a card payment settles the rest: receipt mailed
    part = pay_host.invoices.create_invoice(client_id=client_id, items=[NewItem("Hosting", Decimal("15.00"))])
    assert status(pay_host, part) is InvoiceStatus.UNPAID and pay_host.credit.balance(client_id) == Decimal("0.00")
    answer = processor.post("/modules/gateways/callback/sandbox", data=signed(part, "4.00", txn="sbx_rest"))
    assert answer.status_code == 302 and status(pay_host, part) is InvoiceStatus.PAID
    [(subject, body)] = receipts(smtp_server)
    assert subject == f"{RECEIPT}{part}" and "Payment method: Card (Sandbox)" in body
    log = activity(pay_host, client_id)
    assert f"Credit of $11.00 applied to invoice #{part}" in log
    assert f"Payment of $4.00 by Card (Sandbox) added to invoice #{part} (invoice paid)" in log
    assert not [line for line in log if "sandbox" in line.replace("Card (Sandbox)", "")]  # no raw key


def test_credit_the_client_applies_is_confirmed_with_the_method_credit(pay_host, smtp_server) -> None:  # type: ignore[no-untyped-def]
    use_smtp(pay_host, smtp_server)
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = pay_host.invoices.create_invoice(client_id=client_id, items=[NewItem("Hosting", Decimal("12.00"))])
    pay_host.credit.adjust(client_id, Decimal("12.00"), reason="Prepaid by cheque", actor="boss")
    assert status(pay_host, invoice_id) is InvoiceStatus.UNPAID  # auto-apply is off: credit waits
    assert pay_host.credit.apply(invoice_id, client_id=client_id, actor="Client ann@example.com").paid
    [(subject, body)] = receipts(smtp_server)
    assert subject == f"{RECEIPT}{invoice_id}" and "Payment method: Credit" in body
    assert f"Credit of $12.00 applied to invoice #{invoice_id} (invoice paid)" in activity(pay_host, client_id)
