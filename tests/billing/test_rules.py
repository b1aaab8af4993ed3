"""Pure billing rules: periods, invoice lines from usage, overdue decisions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from solusio_addon.billing.lines import build_lines
from solusio_addon.billing.overdue import OpenInvoice, decide
from solusio_addon.billing.periods import Period, due_periods, last_complete_month
from solusio_addon.db.models import EnrolmentStatus
from solusio_addon.solusio_api import Usage

JUL = Period.month(2026, 7)


def test_on_the_first_of_august_july_is_invoiced():
    assert last_complete_month(date(2026, 8, 1)) == JUL
    assert last_complete_month(date(2026, 8, 31)) == JUL
    assert last_complete_month(date(2027, 1, 1)) == Period.month(2026, 12)


def test_catch_up_oldest_first_within_the_lookback():
    assert due_periods(date(2026, 10, 3), 3, enrolled_on=date(2026, 1, 5)) == [
        Period.month(2026, 7), Period.month(2026, 8), Period.month(2026, 9)]
    # Never a month that ended before the client enrolled; the enrolment month itself counts.
    assert due_periods(date(2026, 10, 3), 6, enrolled_on=date(2026, 8, 20)) == [
        Period.month(2026, 8), Period.month(2026, 9)]
    assert due_periods(date(2026, 10, 3), 6, enrolled_on=date(2026, 10, 2)) == []


@pytest.mark.parametrize("text", ["2026-13", "2026", "july", "", "2026-7-1"])
def test_bad_period_text(text):
    with pytest.raises(ValueError, match="^period: "):
        Period.parse(text)


def test_period_bounds_in_host_time_zone():
    from zoneinfo import ZoneInfo
    start, end = JUL.bounds(ZoneInfo("Europe/Berlin"))
    assert start.astimezone(timezone.utc) == datetime(2026, 6, 30, 22, tzinfo=timezone.utc)
    assert end.astimezone(timezone.utc) == datetime(2026, 7, 31, 22, tzinfo=timezone.utc)
    assert JUL.last_day == date(2026, 7, 31)


def usage(*items):
    return Usage.from_api({"user_id": 12, "from": "2026-07-01T00:00:00Z", "to": "2026-08-01T00:00:00Z",
                           "total_tokens": sum(i["tokens"] for i in items), "items": list(items)})


def server(server_id, hours, tokens, *, per_hour=7, cap=5000, name="web-1", capped=None, kind="server"):
    item = {"type": kind, "server_id": server_id, "server_uuid": f"u{server_id}", "name": name,
            "plan": {"id": 1, "name": "Small", "tokens_per_hour": per_hour, "tokens_per_month": cap},
            "from": "2026-07-01T00:00:00Z", "to": "2026-08-01T00:00:00Z", "hours": hours, "tokens": tokens}
    if capped is not None:
        item["capped"] = capped
    return item


def test_docs_example_seven_tokens_an_hour_cap_5000():
    lines = build_lines(usage(server(1, 700, 4900), server(2, 744, 5000, name="db-1")), JUL, Decimal("0.0010"), "USD")
    assert [(l.tokens, l.amount, l.capped) for l in lines] == [(4900, Decimal("4.90"), False),
                                                               (5000, Decimal("5.00"), True)]
    assert "web-1 (Small plan), 2026-07-01 to 2026-07-31: 700 h, 4900 tokens" in lines[0].description
    assert "monthly cap of 5000 tokens applied" in lines[1].description


def test_four_decimal_price_rounds_half_up_once_per_line():
    # 1235 x 0.0037 = 4.5695 -> 4.57 and 5 x 0.0037 = 0.0185 -> 0.02
    lines = build_lines(usage(server(1, 177, 1235), server(2, 1, 5, per_hour=5)), JUL, Decimal("0.0037"), "EUR")
    assert [l.amount for l in lines] == [Decimal("4.57"), Decimal("0.02")]
    assert all(l.unit_price == Decimal("0.0037") for l in lines)
    half = build_lines(usage(server(1, 1, 5, per_hour=5)), JUL, Decimal("0.0009"), "USD")
    assert half[0].amount == Decimal("0.00")  # 5 x 0.0009 = 0.0045: the third decimal is 4, so 0.00


def test_amount_is_tokens_times_price_rounded_half_up():
    lines = build_lines(usage(server(1, 1, 5, per_hour=5)), JUL, Decimal("0.0010"), "USD")
    assert lines[0].amount == Decimal("0.01")  # 0.005 -> 0.01, HALF_UP
    lines = build_lines(usage(server(1, 1, 5, per_hour=5)), JUL, Decimal("1.0000"), "JPY")
    assert lines[0].amount == Decimal("5")


def test_items_without_tokens_make_no_line_and_ips_are_named():
    ip = server(1, 744, 500, per_hour=1, cap=500, kind="additional_ip", capped=True)
    lines = build_lines(usage(server(1, 0, 0), ip), JUL, Decimal("0.0010"), "USD")
    assert len(lines) == 1 and lines[0].description.startswith("Additional IPs web-1")


DUE = date(2026, 8, 15)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 8, 15), EnrolmentStatus.ACTIVE),     # due today: not overdue
    (date(2026, 8, 21), EnrolmentStatus.ACTIVE),     # the day before locking
    (date(2026, 8, 22), EnrolmentStatus.LOCKED),     # lock day (7 days from the due date)
    (date(2026, 8, 28), EnrolmentStatus.LOCKED),     # the day before suspending
    (date(2026, 8, 29), EnrolmentStatus.SUSPENDED),  # suspend day (14)
])
def test_lock_and_suspend_day_boundaries(today, expected):
    decision = decide(today, [OpenInvoice(7, DUE)], lock_days=7, suspend_days=14, exempt=False)
    assert decision.status is expected
    assert decision.invoice_id == (None if expected is EnrolmentStatus.ACTIVE else 7)


def test_zero_days_locks_the_day_after_the_due_date():
    assert decide(DUE, [OpenInvoice(1, DUE)], lock_days=0, suspend_days=0, exempt=False).status is EnrolmentStatus.ACTIVE
    assert decide(date(2026, 8, 16), [OpenInvoice(1, DUE)], lock_days=0, suspend_days=0,
                  exempt=False).status is EnrolmentStatus.SUSPENDED


def test_oldest_overdue_invoice_decides_and_exempt_clients_stay_active():
    invoices = [OpenInvoice(9, date(2026, 9, 15)), OpenInvoice(7, DUE)]
    decision = decide(date(2026, 9, 20), invoices, lock_days=7, suspend_days=60, exempt=False)
    assert (decision.status, decision.invoice_id) == (EnrolmentStatus.LOCKED, 7)
    assert decide(date(2026, 12, 1), invoices, lock_days=7, suspend_days=14, exempt=True).status is EnrolmentStatus.ACTIVE
    assert decide(date(2026, 12, 1), [], lock_days=7, suspend_days=14, exempt=False).status is EnrolmentStatus.ACTIVE
