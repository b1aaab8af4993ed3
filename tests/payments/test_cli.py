"""``hostsim gateway`` and ``hostsim credit``."""

from __future__ import annotations

from decimal import Decimal

from tests.payments.conftest import add_client


def test_gateway_lifecycle_on_the_command_line(host, cli):
    listed = cli(host, "gateway", "list")
    assert listed.exit_code == 0 and "Card (Sandbox)" in listed.output and "Bank Transfer" in listed.output
    assert cli(host, "gateway", "activate", "sandbox").exit_code == 0
    again = cli(host, "gateway", "activate", "sandbox")
    assert again.exit_code == 2 and "already active" in again.output
    done = cli(host, "gateway", "configure", "sandbox", "--display-name", "Card", "--order", "3",
               "--currencies", "usd,EUR", "--secret", "secret", input="s3cr3t-value\n")
    assert done.exit_code == 0, done.output
    assert "s3cr3t-value" not in done.output
    assert host.payment_gateways.settings("sandbox")["secret"] == "s3cr3t-value"
    row = host.payment_gateways.get_active("sandbox")
    assert (row.display_name, row.sort_order, row.currencies) == ("Card", 3, "EUR,USD")
    bad = cli(host, "gateway", "configure", "sandbox", "--currencies", "XXX")
    assert bad.exit_code == 2 and "currencies" in bad.output
    for order in ("-1", "\u00b2", "\u0661"):  # a superscript two is a digit int() refuses: it was a traceback
        bad = cli(host, "gateway", "configure", "sandbox", "--order", order)
        assert bad.exit_code == 2 and "order: must be a whole number from 0 to 9999" in bad.output, bad.output
    assert host.payment_gateways.get_active("sandbox").sort_order == 3
    assert cli(host, "gateway", "deactivate", "sandbox").exit_code == 0
    assert host.payment_gateways.get_active("sandbox") is None
    assert cli(host, "gateway", "activate", "nosuch").exit_code == 2


def test_credit_on_the_command_line(host, cli):
    client_id = add_client(host, "ann@example.com")
    added = cli(host, "credit", "add", str(client_id), "12.50", "--reason", "Goodwill")
    assert added.exit_code == 0 and "12.50" in added.output
    too_much = cli(host, "credit", "add", str(client_id), "20", "--reason", "x", "--remove")
    assert too_much.exit_code == 2 and "credit" in too_much.output
    no_reason = cli(host, "credit", "add", str(client_id), "1", "--reason", " ")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    bad = cli(host, "credit", "add", str(client_id), "1.2.3", "--reason", "x")
    assert bad.exit_code == 2 and "AMOUNT" in bad.output
    shown = cli(host, "credit", "show", str(client_id))
    assert shown.exit_code == 0 and "Goodwill" in shown.output
    assert host.credit.balance(client_id) == Decimal("12.50")
