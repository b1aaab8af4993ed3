"""Invoice pages (Pay To, Invoiced To, quantities and unit prices, totals) and their PDF, read
back with pypdf, for the client and the admin download, in EUR, GBP and JPY."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, select

from hostsim.db.models import Client, Currency
from hostsim.services.invoices import NewItem
from tests.conftest import _truncate
from tests.web.conftest import add_client, login_client, post_form

ADDRESS = "Hauptstraße 1\n10115 Berlin\nGermany"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def currencies(web_host) -> Iterator[None]:
    """GBP and JPY beside the seeded USD and EUR; removed afterwards (server backends keep the
    currencies table between tests)."""
    with web_host.transaction() as s:
        have = set(s.scalars(select(Currency.code)))
        for code, prefix in (("GBP", "\u00a3"), ("JPY", "\u00a5")):
            if code not in have:
                s.add(Currency(code=code, prefix=prefix, suffix=f" {code}", rate=Decimal("1"), is_default=False,
                               active=True))
    yield
    if web_host.engine.dialect.name == "sqlite":
        return  # each SQLite test has a copy of its own
    _truncate(web_host.engine)
    with web_host.transaction() as s:
        s.execute(delete(Currency).where(Currency.code.in_(["GBP", "JPY"])))


def usage_invoice(host, client_id: int, lines: list[tuple[str, str, int | None, str | None]]) -> int:
    items = [NewItem(d, Decimal(a), "SolusioUsage", 0, quantity=q, unit="tokens" if q is not None else "",
                     unit_price=Decimal(p) if p is not None else None) for d, a, q, p in lines]
    return host.invoices.create_invoice(client_id=client_id, items=items)


def set_company(host) -> None:
    host.settings.set_many({"company_name": "Acme Cloud GmbH", "company_address": ADDRESS})


def with_address(host, client_id: int, company: str, address: str) -> None:
    with host.transaction() as s:
        row = s.get(Client, client_id)
        row.company, row.address = company, address


@pytest.mark.parametrize(("code", "lines", "total"), [
    ("EUR", [("Server web-1, 720 h", "18.00", 1440, "0.0125"), ("Additional IPs web-1", "2.50", 200, "0.0125"),
             ("Setup fee", "5.00", None, None)], "€25.50"),
    ("GBP", [("Server db-2, 300 h", "7.20", 600, "0.012")], "£7.20"),
    ("JPY", [("Server jp-1, 720 h", "1440", 1440, "1"), ("Backup", "300", None, None)], "¥1,740"),
])
def test_client_and_admin_pdf_read_back(app, admin, anon, web_host, currencies, code, lines, total):
    set_company(web_host)
    cid = add_client(web_host, "ada@example.com", currency=code)
    with_address(web_host, cid, "Analytical Engines Ltd", "12 Marylebone Road\nLondon")
    iid = usage_invoice(web_host, cid, lines)
    login_client(anon, "ada@example.com")
    for client, url in ((anon, f"/clientarea/invoices/{iid}/pdf"), (admin, f"/admin/invoices/{iid}/pdf")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/pdf"
        assert f'filename="invoice-{iid}.pdf"' in response.headers["Content-Disposition"]
        text = pdf_text(response.data)
        assert f"Invoice #{iid}" in text
        for description, amount, quantity, unit_price in lines:
            assert description in text
            if quantity is not None:
                assert f"{quantity:,} tokens" in text
        assert total in text
        assert "Acme Cloud GmbH" in text and "Hauptstraße 1" in text and "10115 Berlin" in text
        assert "Ada Lovelace" in text and "Analytical Engines Ltd" in text and "12 Marylebone Road" in text
        assert "Subtotal" in text and "Balance" in text
        symbol = {"EUR": "€", "GBP": "£", "JPY": "¥"}[code]
        assert text.count(symbol) >= len(lines) + 3  # every line, sub total, total and balance
    if code == "EUR":
        assert "€0.0125" in text  # a unit price keeps its four decimals


def test_invoice_page_blocks_lines_and_totals(anon, web_host):
    set_company(web_host)
    cid = add_client(web_host, "ada@example.com", currency="EUR")
    with_address(web_host, cid, "Analytical Engines Ltd", "12 Marylebone Road\nLondon")
    iid = usage_invoice(web_host, cid, [("Server web-1, 720 h", "18.00", 1440, "0.0125"),
                                        ("Setup fee", "5.00", None, None)])
    web_host.invoices.add_payment(iid, Decimal("3.00"), transaction_id="T-1")
    login_client(anon, "ada@example.com")
    html = anon.get(f"/clientarea/invoices/{iid}").get_data(as_text=True)
    pay_to = html[html.index('class="pay-to"'):html.index('class="invoiced-to"')]
    assert "Acme Cloud GmbH" in pay_to and "Hauptstraße 1<br>10115 Berlin<br>Germany" in pay_to
    invoiced_to = html[html.index('class="invoiced-to"'):]
    assert "Ada Lovelace" in invoiced_to and "Analytical Engines Ltd" in invoiced_to and "London" in invoiced_to
    assert "1,440 tokens" in html and "€0.0125" in html and "€18.00" in html and "€5.00" in html
    for label, amount in (("Subtotal", "€23.00"), ("Credit", "€0.00"), ("Total", "€23.00"), ("Balance", "€20.00")):
        row = html[html.index(f">{label}</th>"):]
        assert row[:row.index("</tr>")].endswith(f'<td class="num" role="cell">{amount}</td>'), label
    assert f'href="/clientarea/invoices/{iid}/pdf"' in html and "Download PDF" in html
    admin_html = anon.get(f"/admin/invoices/{iid}")
    assert admin_html.status_code == 302  # the client's login is not the admin's


def test_admin_page_links_the_pdf_and_shows_quantities(admin, web_host):
    cid = add_client(web_host, "ada@example.com", currency="EUR")
    iid = usage_invoice(web_host, cid, [("Server web-1, 720 h", "18.00", 1440, "0.0125")])
    html = admin.get(f"/admin/invoices/{iid}").get_data(as_text=True)
    assert f'href="/admin/invoices/{iid}/pdf"' in html and "1,440 tokens" in html and "€0.0125" in html
    assert admin.get("/admin/invoices/99999/pdf").status_code == 404


def test_another_clients_pdf_is_not_found(app, anon, web_host):
    mine = add_client(web_host, "ada@example.com")
    theirs = add_client(web_host, "bob@example.com", "Bob", "Other")
    their_invoice = usage_invoice(web_host, theirs, [("Their hosting", "8.00", None, None)])
    assert app.test_client().get(f"/clientarea/invoices/{their_invoice}/pdf").status_code == 302  # not logged in
    login_client(anon, "ada@example.com")
    response = anon.get(f"/clientarea/invoices/{their_invoice}/pdf")
    assert response.status_code == 404 and b"%PDF" not in response.data and b"Their hosting" not in response.data
    assert anon.get("/clientarea/invoices/99999/pdf").status_code == 404
    assert mine


def test_company_address_setting_is_validated(admin, web_host):
    response = post_form(admin, "/admin/settings", {"company_name": "Acme", "company_address": "\n".join(["x"] * 9)})
    assert response.status_code == 400 and "Company address: at most 8 lines" in response.get_data(as_text=True)
    assert web_host.settings.get("company_address") == ""
    response = post_form(admin, "/admin/settings", {"company_name": "Acme",
                                                    "company_address": "  Main St 1 \r\n\r\n 1000 Town  "})
    assert response.status_code == 302
    assert web_host.settings.get("company_address") == "Main St 1\n1000 Town"
    assert "Main St 1\n1000 Town</textarea>" in admin.get("/admin/settings").get_data(as_text=True)
    with pytest.raises(ValueError, match="company_address: at most 500 characters"):
        web_host.settings.set_many({"company_address": "y" * 501})


def test_client_edits_their_address(anon, web_host):
    cid = add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    base = {"first_name": "Ada", "last_name": "Lovelace", "company": "", "email": "ada@example.com"}
    response = post_form(anon, "/clientarea/details", {**base, "address": " 12 Marylebone Road \r\n\r\nLondon "})
    assert response.status_code == 302
    with web_host.sessions() as s:
        assert s.get(Client, cid).address == "12 Marylebone Road\nLondon"
    response = post_form(anon, "/clientarea/details", {**base, "address": "\n".join(["x"] * 9)})
    assert response.status_code == 400 and "at most 8 lines" in response.get_data(as_text=True)
    with web_host.sessions() as s:
        assert s.get(Client, cid).address == "12 Marylebone Road\nLondon"


def test_payment_instructions_print_when_given(web_host):
    from hostsim.services.invoice_pdf import document_for, render_pdf

    cid = add_client(web_host, "ada@example.com", currency="EUR")
    iid = usage_invoice(web_host, cid, [("Hosting", "9.99", None, None)])
    doc = document_for(web_host, web_host.invoices.get(iid),
                       instructions=f"Bank: Example Bank\nIBAN: DE00 1234 5678\nReference: Invoice {iid}")
    text = pdf_text(render_pdf(doc))
    assert "Payment Instructions" in text and "IBAN: DE00 1234 5678" in text and f"Reference: Invoice {iid}" in text
    assert "Payment Instructions" not in pdf_text(render_pdf(document_for(web_host, web_host.invoices.get(iid),
                                                                          instructions="")))


def test_automation_settings_on_the_general_settings_page(admin, web_host):
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'id="automation"' in page and 'name="invoice_reminder_days" value="0"' in page
    response = post_form(admin, "/admin/settings", {"company_name": "Acme", "invoice_reminder_days": "7",
                                                    "overdue_first_days": "3", "overdue_second_days": "2"})
    assert response.status_code == 400
    assert "Second overdue notice must be more days than the first overdue notice (3)" in response.get_data(as_text=True)
    assert web_host.settings.get("invoice_reminder_days") == "0"  # nothing saved
    response = post_form(admin, "/admin/settings", {"company_name": "Acme", "invoice_reminder_days": "7",
                                                    "overdue_first_days": "3", "overdue_second_days": "10"})
    assert response.status_code == 302
    assert [web_host.settings.get(k) for k in ("invoice_reminder_days", "overdue_first_days",
                                               "overdue_second_days", "overdue_third_days")] == ["7", "3", "10", "0"]


def test_bank_transfer_instructions_in_the_pdf(admin, anon, web_host):
    web_host.payment_gateways.activate("banktransfer")
    cid = add_client(web_host, "ada@example.com", currency="EUR")
    iid = usage_invoice(web_host, cid, [("Hosting", "9.99", None, None)])
    login_client(anon, "ada@example.com")
    for client, url in ((anon, f"/clientarea/invoices/{iid}/pdf"), (admin, f"/admin/invoices/{iid}/pdf")):
        text = pdf_text(client.get(url).data)
        assert "Payment Instructions" in text and "IBAN" in text, url
        assert f"Reference: Invoice #{iid}" in text and "Amount: €9.99" in text
    web_host.invoices.add_payment(iid, Decimal("4.00"), gateway="banktransfer", transaction_id="BT-1")
    text = pdf_text(anon.get(f"/clientarea/invoices/{iid}/pdf").data)
    assert "Bank Transfer" in text and "banktransfer" not in text  # the method in words
    assert "Bank Transfer" in anon.get(f"/clientarea/invoices/{iid}").get_data(as_text=True)
