"""Admin clients, invoices with payments, email and activity logs, general settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hostsim.db.models import Client, ClientStatus, InvoiceStatus
from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.services.clients import default_currency
from tests.web.conftest import add_client, add_invoice, post_form


def bulk_clients(host, n: int) -> None:
    """Many clients fast (no password hashing): for search and paging."""
    with host.transaction() as s:
        currency_id = default_currency(s).id
        for i in range(n):
            s.add(Client(first_name=f"Bulk{i:02d}", last_name="Person", email=f"bulk{i:02d}@example.com",
                         password_hash="x", currency_id=currency_id, status=ClientStatus.ACTIVE,
                         created_at=host.clock.now()))


def test_clients_search_and_pages(admin, web_host):
    add_client(web_host, "grace@example.com", "Grace", "Hopper")
    bulk_clients(web_host, 30)
    html = admin.get("/admin/clients?q=hopper").get_data(as_text=True)
    assert "Grace Hopper" in html and "Bulk" not in html
    assert "grace@example.com" in admin.get("/admin/clients?q=GRACE@").get_data(as_text=True)
    first = admin.get("/admin/clients").get_data(as_text=True)
    assert "Page 1 of 2 (31 total)" in first and "Bulk29" in first and "Grace Hopper" not in first
    second = admin.get("/admin/clients?page=2").get_data(as_text=True)
    assert "Grace Hopper" in second
    assert "No clients found" in admin.get("/admin/clients?q=%25").get_data(as_text=True)  # % is literal


def test_client_detail_shows_details_and_invoices(admin, web_host):
    cid = add_client(web_host, "grace@example.com", "Grace", "Hopper")
    iid = add_invoice(web_host, cid, "12.50")
    html = admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    assert "Grace Hopper" in html and "grace@example.com" in html and "USD" in html
    assert f'href="/admin/invoices/{iid}"' in html and "$12.50" in html
    assert admin.get("/admin/clients/999").status_code == 404


def test_invoice_filters_include_derived_overdue(admin, web_host):
    cid = add_client(web_host, "grace@example.com")
    today = web_host.clock.today()
    overdue = add_invoice(web_host, cid, "1.00", invoice_date=today - timedelta(days=20), due_date=today - timedelta(days=5))
    current = add_invoice(web_host, cid, "2.00", due_date=today + timedelta(days=5))
    paid = add_invoice(web_host, cid, "3.00")
    web_host.invoices.add_payment(paid, Decimal("3.00"))

    def ids(status: str) -> set[int]:
        html = admin.get(f"/admin/invoices?status={status}").get_data(as_text=True)
        return {i for i in (overdue, current, paid) if f'href="/admin/invoices/{i}"' in html}

    assert ids("Overdue") == {overdue}
    assert ids("Unpaid") == {overdue, current}
    assert ids("Paid") == {paid}
    assert ids("") == {overdue, current, paid}
    assert "badge-overdue" in admin.get("/admin/invoices").get_data(as_text=True)


def test_add_payment_part_then_full(admin, web_host):
    cid = add_client(web_host, "grace@example.com")
    iid = add_invoice(web_host, cid, "10.00")
    url = f"/admin/invoices/{iid}"
    response = post_form(admin, url, {"amount": "4.00", "gateway": "banktransfer", "transaction_id": "T-1"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Payment added." in html and "T-1" in html and "$6.00" in html
    assert web_host.invoices.get(iid).status is InvoiceStatus.UNPAID
    response = post_form(admin, url, {"amount": "6", "gateway": "manual"}, follow_redirects=True)
    assert "the invoice is now Paid" in response.get_data(as_text=True)
    invoice = web_host.invoices.get(iid)
    assert invoice.status is InvoiceStatus.PAID and [p.amount for p in invoice.payments] == [Decimal("4.00"), Decimal(6)]
    assert "Add payment" not in admin.get(url).get_data(as_text=True)
    # The receipt went to the email log; its page shows the text escaped.
    emails = admin.get("/admin/emails").get_data(as_text=True)
    assert f"Invoice Payment Confirmation #{iid}" in emails


def test_add_payment_errors_are_shown_with_the_field(admin, web_host):
    cid = add_client(web_host, "grace@example.com")
    iid = add_invoice(web_host, cid, "10.00")
    url = f"/admin/invoices/{iid}"
    response = post_form(admin, url, {"amount": "1.234", "gateway": "manual"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<span class="field-error">at most 2 decimal places</span>' in html
    assert 'value="1.234"' in html
    response = post_form(admin, url, {"amount": "0", "gateway": "manual"})
    assert "must be greater than zero" in response.get_data(as_text=True)
    post_form(admin, url, {"amount": "1", "gateway": "manual", "transaction_id": "dup"})
    response = post_form(admin, url, {"amount": "1", "gateway": "manual", "transaction_id": "dup"})
    assert "&#39;dup&#39; was already recorded" in response.get_data(as_text=True)
    assert len(web_host.invoices.get(iid).payments) == 1
    assert web_host.invoices.balance(web_host.invoices.get(iid)) == Decimal("9.00")


def test_email_log_escapes_the_message(admin, web_host):
    entry = web_host.mail.send("x@example.com", "Hello <b>there</b>", "Body with <script>alert(1)</script>")
    html = admin.get(f"/admin/emails/{entry.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in html
    assert admin.get("/admin/emails/999").status_code == 404


def test_activity_log_pages(admin, web_host):
    for n in range(60):
        web_host.activity.log(f"entry number {n:02d}")
    first = admin.get("/admin/activity").get_data(as_text=True)
    assert "entry number 59" in first and "entry number 05" not in first and "Page 1 of 2" in first
    assert "entry number 05" in admin.get("/admin/activity?page=2").get_data(as_text=True)
    assert admin.get("/admin/activity?page=abc").status_code == 200


def test_general_settings_mask_the_smtp_password(admin, web_host):
    data = {"company_name": "Acme Hosting", "theme": "default", "tos_url": "https://acme.example/tos",
            "mail_from": "billing@acme.example", "smtp_host": "mail.acme.example", "smtp_port": "2525",
            "smtp_security": "ssl", "smtp_username": "mailer", "smtp_password": "Mail-Secret-1"}
    assert post_form(admin, "/admin/settings", data).status_code == 302
    assert web_host.settings.get("smtp_password") == "Mail-Secret-1"
    html = admin.get("/admin/settings").get_data(as_text=True)
    assert f'name="smtp_password" type="password" value="{PASSWORD_MASK}"' in html and "Mail-Secret-1" not in html
    assert post_form(admin, "/admin/settings", {**data, "smtp_password": PASSWORD_MASK}).status_code == 302
    assert web_host.settings.get("smtp_password") == "Mail-Secret-1"
    response = post_form(admin, "/admin/settings", {**data, "smtp_port": "99999", "company_name": "Other"})
    assert response.status_code == 400 and "port number between 1 and 65535" in response.get_data(as_text=True)
    assert web_host.settings.get("company_name") == "Acme Hosting"
    response = post_form(admin, "/admin/settings", {**data, "theme": "../etc"})
    assert response.status_code == 400 and web_host.settings.get("theme") == "default"
    assert "Acme Hosting" in admin.get("/").get_data(as_text=True)
