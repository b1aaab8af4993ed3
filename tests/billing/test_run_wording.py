"""SolusioAutomation's cron output reads as sentences: a run with nothing to do says so."""

from __future__ import annotations

from decimal import Decimal

from solusio_addon.billing.report import Report
from solusio_addon.demo.story import run_in_words


def test_a_run_with_nothing_to_invoice_says_so_in_words(world, cli):
    world.set_prices(USD="0.0100")
    result = cli(world.host, "cron", "do", "--SolusioAutomation", "--today", "2026-08-01", "-vv")
    assert result.exit_code == 0, result.output
    assert "nothing to invoice for 2026-07" in result.stdout
    assert "no account locked, suspended or reactivated" in result.stdout
    for raw in ("for nothing", "amounts={}", "invoiced 0", "=0", "failures: 0"):
        assert raw not in result.stdout, raw


def test_a_run_that_invoiced_names_the_month_and_amounts(world, cli):
    world.set_prices(USD="0.0100")
    _client, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-02T10:00:00", "2026-07-02T20:00:00")
    result = cli(world.host, "cron", "do", "--SolusioAutomation", "--today", "2026-08-01", "-vv")
    assert result.exit_code == 0, result.output
    assert "clients invoiced: 1 for 2026-07, $0.70; invoice emails: 1" in result.stdout
    # The counters at -vv: human, and only what is not zero.
    [counters] = [line for line in result.stdout.splitlines() if "SolusioAutomation counters:" in line]
    assert "invoiced: 1" in counters and "amounts: USD 0.70" in counters and "locked" not in counters


def test_the_summary_lists_what_changed():
    report = Report(invoiced=2, emailed=2, locked=1, periods=["2026-05", "2026-06", "2026-07"],
                    billed_periods=["2026-06", "2026-07"])
    report.add_amount("EUR", Decimal("3.50"))
    report.add_amount("GBP", Decimal("1"))
    assert report.summary_lines() == ["clients invoiced: 2 for 2026-06, 2026-07, €3.50, £1.00; invoice emails: 2",
                                      "locked: 1"]


def test_the_demo_says_what_a_run_did():
    assert run_in_words({"invoiced": 0, "amounts": {}, "locked": 0}) == "nothing to invoice, lock, suspend or reactivate"
    assert run_in_words({"invoiced": 3, "amounts": {"USD": "12.50"}, "emailed": 3, "suspended": 1}) == \
        "invoiced 3 client(s) for $12.50, 3 invoice email(s), suspended 1"
