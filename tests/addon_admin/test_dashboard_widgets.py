"""The addon's widgets on the host's admin dashboard: tokens billed per month (from the billing
ledger) and enrolments by status, drawn by the host with their data tables."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus, PeriodOutcome
from tests.web.conftest import add_client
from tests.web.test_admin_dashboard_charts import assert_offline_and_named, parse, table

NOW = datetime(2026, 7, 20, 9, 30, tzinfo=timezone.utc)


def seed(host) -> None:
    host.clock.set_now(NOW)
    statuses = [EnrolmentStatus.ACTIVE, EnrolmentStatus.ACTIVE, EnrolmentStatus.ACTIVE, EnrolmentStatus.LOCKED,
                EnrolmentStatus.SUSPENDED, EnrolmentStatus.PENDING]
    ids = [add_client(host, f"grace{i}@example.com", f"Grace{i}", "Hopper") for i in range(len(statuses))]
    periods = [(date(2025, 7, 1), 50_000, PeriodOutcome.INVOICED),  # 12 months back: not shown
               (date(2026, 5, 1), 1_440, PeriodOutcome.INVOICED), (date(2026, 6, 1), 12_000, PeriodOutcome.INVOICED),
               (date(2026, 6, 1), 720, PeriodOutcome.INVOICED), (date(2026, 6, 1), 0, PeriodOutcome.NO_USAGE)]
    with host.transaction() as s:
        for n, (cid, status) in enumerate(zip(ids, statuses)):
            s.add(Enrolment(client_id=cid, solusio_user_id=100 + n, status=status, created_at=NOW))
        for n, (start, tokens, outcome) in enumerate(periods):
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            s.add(BilledPeriod(client_id=ids[n % 3], solusio_user_id=100 + n % 3, period_start=start, period_end=end,
                               outcome=outcome, total_tokens=tokens, created_at=NOW))


def test_dashboard_shows_tokens_billed_and_enrolments(addon_host, admin_client):
    seed(addon_host)
    html = admin_client.get("/admin/").get_data(as_text=True)
    page = parse(html)
    tokens = table(page, "Tokens billed per month")
    assert tokens[0] == ["Month", "Tokens"] and len(tokens) == 13
    months = dict((row[0], row[1]) for row in tokens[1:])
    assert months["May 2026"] == "1,440" and months["Jun 2026"] == "12,720" and months["Jul 2026"] == "0"
    assert "Jul 2025" not in months and "50,000" not in html
    assert table(page, "Cloud hosting enrolments by status")[1:] == [
        ["Pending", "1"], ["Active", "3"], ["Locked", "1"], ["Suspended", "1"], ["Closed", "0"]]
    assert re.search(r"<desc [^>]*>Clients enrolled in cloud hosting: 1 pending, 3 active, 1 locked, 1 suspended, "
                     r"0 closed.</desc>", html)
    assert_offline_and_named(html, page, 2)  # no invoices: only the addon's two charts are drawn


def test_deactivated_addon_adds_no_widget(addon_host, admin_client):
    addon_host.lifecycle.deactivate("solusio")
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "Tokens billed per month" not in html and "enrolments by status" not in html
