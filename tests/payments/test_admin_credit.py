"""A client's credit on its admin page: the balance in the client's currency, add and remove with
a reason, the history; never below zero."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from hostsim.db.models import ActivityLog, CreditEntry
from tests.payments.conftest import add_client, add_invoice
from tests.web.conftest import post_form


def credit_card(html: str) -> str:
    match = re.search(r'<section class="card" id="credit">.*?</section>', html, re.S)
    assert match, "no credit section"
    return match.group(0)


def change(admin, client_id: int, amount: str, direction: str = "add", reason: str = "Goodwill"):
    return post_form(admin, f"/admin/clients/{client_id}/credit",
                     {"amount": amount, "direction": direction, "reason": reason},
                     token_from=f"/admin/clients/{client_id}")


def counts(host) -> tuple[int, int]:
    with host.sessions() as s:
        return (s.scalar(select(func.count()).select_from(CreditEntry)),
                s.scalar(select(func.count()).select_from(ActivityLog)))


def test_adding_and_removing_credit_in_the_clients_currency(pay_admin, pay_host):
    client_id = add_client(pay_host, "ann@example.com", currency="EUR")
    added = change(pay_admin, client_id, "12.50", reason="Outage in May")
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/admin/clients/{client_id}#credit")
    html = pay_admin.get(f"/admin/clients/{client_id}").get_data(as_text=True)
    assert "€12.50 of credit added. The balance is now €12.50." in html
    assert change(pay_admin, client_id, "2.25", "remove", reason="Typo in the first").status_code == 302
    assert pay_host.credit.balance(client_id) == Decimal("10.25")
    card = credit_card(pay_admin.get(f"/admin/clients/{client_id}").get_data(as_text=True))
    assert 'class="credit-balance">€10.25<' in card
    history = re.findall(r"<tr><td[ >].*?</tr>", card.split("<tbody>")[1], re.S)
    assert len(history) == 2  # newest first
    assert "Typo in the first" in history[0] and "−€2.25" in history[0] and "€10.25" in history[0]
    assert "Outage in May" in history[1] and "+€12.50" in history[1] and "boss" in history[1]
    with pay_host.sessions() as s:
        logged = list(s.scalars(select(ActivityLog.description).where(ActivityLog.client_id == client_id)
                                .order_by(ActivityLog.id)))
    assert logged == ["Credit of €12.50 added (Outage in May); balance €12.50",
                      "Credit of €2.25 removed (Typo in the first); balance €10.25"]


def test_removing_more_than_the_balance_fails_clearly_and_changes_nothing(pay_admin, pay_host):
    client_id = add_client(pay_host, "ann@example.com")
    pay_host.credit.adjust(client_id, Decimal("5.00"), reason="Goodwill")
    before = counts(pay_host)
    answer = change(pay_admin, client_id, "5.01", "remove", reason="Too much")
    card = credit_card(answer.get_data(as_text=True))
    assert answer.status_code == 400 and "The credit was not changed" in card
    amount_field = re.search(r'name="amount".*?</label>', card, re.S).group(0)
    assert '<span class="field-error">Amount: the client has only $5.00 of credit</span>' in amount_field
    assert 'value="5.01"' in card and 'value="Too much"' in card and 'value="remove" checked' in card
    assert pay_host.credit.balance(client_id) == Decimal("5.00") and counts(pay_host) == before


def test_a_reason_is_required(pay_admin, pay_host):
    client_id = add_client(pay_host, "ann@example.com")
    before = counts(pay_host)
    answer = change(pay_admin, client_id, "3.00", reason="   ")
    assert answer.status_code == 400
    reason_field = re.search(r'name="reason".*?</label>', credit_card(answer.get_data(as_text=True)), re.S).group(0)
    assert "Reason: say why, in 1 to 500 printable characters" in reason_field
    assert pay_host.credit.balance(client_id) == Decimal("0") and counts(pay_host) == before


def test_amounts_are_checked_in_the_clients_currency(pay_admin, pay_host):
    client_id = add_client(pay_host, "ann@example.com")
    for amount, message in (("", "Amount: a value is required"), ("1.005", "Amount: at most 2 decimal places"),
                            ("-3", "Amount: must not be negative"), ("0", "Amount: must be greater than zero"),
                            ("ten", "Amount: &#39;ten&#39; is not a plain decimal number")):
        answer = change(pay_admin, client_id, amount)
        assert answer.status_code == 400 and message in credit_card(answer.get_data(as_text=True)), amount
    bad_direction = change(pay_admin, client_id, "1.00", direction="steal")
    assert "Add or remove: choose Add credit or Remove credit" in bad_direction.get_data(as_text=True)
    assert pay_host.credit.balance(client_id) == Decimal("0")


def test_credit_spent_on_an_invoice_links_it_in_the_history(pay_admin, pay_host):
    client_id = add_client(pay_host, "ann@example.com")
    invoice_id = add_invoice(pay_host, client_id, "4.00")
    pay_host.credit.adjust(client_id, Decimal("10.00"), reason="Prepaid")
    pay_host.credit.apply(invoice_id)
    card = credit_card(pay_admin.get(f"/admin/clients/{client_id}").get_data(as_text=True))
    assert f'<a href="/admin/invoices/{invoice_id}">invoice #{invoice_id}</a>' in card and "−$4.00" in card
    assert 'class="credit-balance">$6.00<' in card


def test_an_unknown_client_is_404(pay_admin):
    assert post_form(pay_admin, "/admin/clients/999/credit", {"amount": "1", "direction": "add", "reason": "x"},
                     token_from="/admin/").status_code == 404
