"""Key pages and emails go through the formatting filters: one date style, no raw ISO values,
currency symbols, correct plurals."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from hostsim.db.models import EmailLog
from hostsim.services.invoices import NewItem
from tests.web.conftest import add_client, add_invoice, login_client

#: An ISO date or timestamp as text a person reads ("2026-07-01", "2026-07-01T08:00:01+00:00").
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")


def visible(html: str) -> str:
    """The text of a page: tags (whose attributes may rightly hold ISO values) left out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_client_pages_show_one_date_style(anon, web_host):
    cid = add_client(web_host, "ada@example.com")
    invoice_id = add_invoice(web_host, cid, "1234.50", invoice_date=date(2026, 7, 1), due_date=date(2026, 7, 15))
    login_client(anon, "ada@example.com")
    home = visible(anon.get("/clientarea").get_data(as_text=True))
    assert "You have 1 unpaid invoice." in home and "invoice(s)" not in home
    assert "Welcome, Ada" in home and "Welcome back" not in home
    for url in ("/clientarea", "/clientarea/invoices", f"/clientarea/invoices/{invoice_id}"):
        text = visible(anon.get(url).get_data(as_text=True))
        assert not ISO.findall(text), (url, ISO.findall(text))
        if url != "/clientarea":
            assert "Jul 1, 2026" in text and "Jul 15, 2026" in text and "$1,234.50" in text, url


def test_admin_pages_show_one_date_style(admin, web_host):
    cid = add_client(web_host, "ada@example.com")
    invoice_id = add_invoice(web_host, cid, "10.00", invoice_date=date(2026, 7, 1), due_date=date(2026, 7, 15))
    for url in ("/admin/clients", f"/admin/clients/{cid}", "/admin/invoices", f"/admin/invoices/{invoice_id}", "/admin"):
        text = visible(admin.get(url).get_data(as_text=True))
        assert not ISO.findall(text), (url, ISO.findall(text))
    assert "Jul 1, 2026" in visible(admin.get(f"/admin/invoices/{invoice_id}").get_data(as_text=True))
    today = web_host.clock.today()
    assert f"{today:%b} {today.day}, {today.year}" in visible(admin.get("/admin/clients").get_data(as_text=True))


def test_invoice_email_greets_and_dates_in_words(web_host):
    cid = add_client(web_host, "ada@example.com")
    web_host.invoices.create_invoice(client_id=cid, items=[NewItem("VM usage", Decimal("12.34"))],
                                     invoice_date=date(2026, 7, 1), due_date=date(2026, 7, 15), send_email=True)
    with web_host.sessions() as s:
        mail = s.scalars(select(EmailLog)).one()
    first, _blank, sentence = mail.body_text.splitlines()[:3]
    assert first == "Hello Ada," and sentence[:1].isupper()
    assert "Jul 1, 2026" in mail.body_text and "Due date: Jul 15, 2026" in mail.body_text
    assert not ISO.findall(mail.body_text)
