"""Amounts, numbers and dates in the viewer's own locale (the browser's Accept-Language); emails
and stored text in the host's."""

from __future__ import annotations

from datetime import date

from hostsim import formatting
from tests.web.conftest import add_client, add_invoice, login_client


def invoices_page(anon, language: str | None) -> str:  # type: ignore[no-untyped-def]
    headers = {"Accept-Language": language} if language else {}
    return anon.get("/clientarea/invoices", headers=headers).get_data(as_text=True)


def test_the_invoice_list_follows_the_browser_s_locale(anon, web_host) -> None:
    client_id = add_client(web_host, "ada@example.com")
    add_invoice(web_host, client_id, "1234.50", invoice_date=date(2026, 7, 1), due_date=date(2026, 7, 8))
    login_client(anon, "ada@example.com")
    english = invoices_page(anon, None)
    assert "$1,234.50" in english and "Jul 1, 2026" in english
    german = invoices_page(anon, "de-DE,de;q=0.9,en;q=0.5")
    assert "1.234,50\xa0$" in german and "01.07.2026" in german and "$1,234.50" not in german
    british = invoices_page(anon, "en-GB")
    assert "US$1,234.50" in british and "1 Jul 2026" in british
    assert "$1,234.50" in invoices_page(anon, "xx-YY, *")  # unknown: the host's locale
    assert formatting.viewer_locale() == formatting.DEFAULT_LOCALE  # nothing leaks out of a request


def test_negotiate_takes_the_first_known_tag() -> None:
    assert formatting.negotiate(["zz", "fr-CA", "en"]) == "fr_CA"
    assert formatting.negotiate(["*", ""]) == formatting.DEFAULT_LOCALE
    assert formatting.negotiate(["a" * 100]) == formatting.DEFAULT_LOCALE


def test_emails_keep_the_host_s_locale_whoever_triggers_them(web_host) -> None:
    client_id = add_client(web_host, "ada@example.com")
    invoice_id = add_invoice(web_host, client_id, "1234.50")
    with formatting.viewing_as("de_DE"):
        assert formatting.money(1, "USD") == "1,00\xa0$"
        [message] = web_host.invoices.invoice_emails([invoice_id])
    assert "$1,234.50" in message.body_text and "1.234,50" not in message.body_text
