"""An admin changes a client's currency while the client has no invoices (WHMCS's rule), on the
admin client page and with ``hostsim client currency``; the change is logged."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from hostsim.db.models import ActivityLog, Client, Currency
from tests.web.conftest import add_client, add_invoice, post_form


def code_of(host, client_id: int) -> str:
    with host.sessions() as s:
        client = s.get(Client, client_id)
        return s.get(Currency, client.currency_id).code


def log_lines(host) -> list[str]:
    with host.sessions() as s:
        return [a.description for a in s.scalars(select(ActivityLog).order_by(ActivityLog.id))]


def test_admin_changes_the_currency_of_a_client_without_invoices(admin, web_host):
    cid = add_client(web_host, "ada@example.com")
    page = admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    assert 'id="profile-currency"' in page and '<option value="EUR">' in page
    response = post_form(admin, f"/admin/clients/{cid}/currency", {"currency": "EUR"},
                         token_from=f"/admin/clients/{cid}")
    assert response.status_code == 302
    assert code_of(web_host, cid) == "EUR"
    assert f"Client Ada Lovelace (#{cid}): currency changed from USD to EUR" in log_lines(web_host)
    assert "Currency changed to EUR." in admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    for bad in ("XXX", ""):
        post_form(admin, f"/admin/clients/{cid}/currency", {"currency": bad}, token_from=f"/admin/clients/{cid}")
        assert code_of(web_host, cid) == "EUR"
    assert post_form(admin, "/admin/clients/99999/currency", {"currency": "USD"},
                     token_from=f"/admin/clients/{cid}").status_code == 404


def test_a_client_with_an_invoice_or_credit_keeps_its_currency(admin, web_host):
    cid = add_client(web_host, "ada@example.com")
    add_invoice(web_host, cid, "5.00")
    page = admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    assert 'id="profile-currency"' not in page and "no invoices and no credit" in page
    post_form(admin, f"/admin/clients/{cid}/currency", {"currency": "EUR"}, token_from=f"/admin/clients/{cid}")
    assert code_of(web_host, cid) == "USD"
    assert "the client has 1 invoice(s)" in admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    other = add_client(web_host, "bob@example.com", "Bob", "Other")
    with web_host.transaction() as s:
        s.get(Client, other).credit = Decimal("2.00")
    post_form(admin, f"/admin/clients/{other}/currency", {"currency": "EUR"}, token_from=f"/admin/clients/{other}")
    assert code_of(web_host, other) == "USD"


def test_cli_changes_the_currency_with_the_same_rule(web_host, cli):
    cid = add_client(web_host, "ada@example.com")
    result = cli(web_host, "client", "currency", str(cid), "eur")
    assert result.exit_code == 0 and f"Client #{cid} now uses EUR." in result.output
    assert code_of(web_host, cid) == "EUR"
    assert "already uses EUR" in cli(web_host, "client", "currency", str(cid), "EUR").output
    bad = cli(web_host, "client", "currency", str(cid), "XYZ")
    assert bad.exit_code != 0 and "CURRENCY: 'XYZ' is not an active currency" in bad.output
    add_invoice(web_host, cid, "5.00")
    refused = cli(web_host, "client", "currency", str(cid), "USD")
    assert refused.exit_code != 0 and "only be changed while a client has no invoices" in refused.output
    assert code_of(web_host, cid) == "EUR"
    missing = cli(web_host, "client", "currency", "99999", "USD")
    assert missing.exit_code != 0 and "no client #99999" in missing.output
    assert f"Client Ada Lovelace (#{cid}): currency changed from USD to EUR" in log_lines(web_host)
