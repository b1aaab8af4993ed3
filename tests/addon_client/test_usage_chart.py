"""The Cloud Usage page draws this month's tokens per day (from SolusIO, over real HTTP) beside
the per-server table, and states the estimate to date in the client's currency."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hostsim.clock import clock
from tests.addon_client.conftest import login
from tests.addon_client.test_panels_sso_usage import enrol
from tests.web.test_admin_dashboard_charts import assert_offline_and_named, parse, table


def test_usage_page_charts_tokens_per_day_and_states_the_estimate(app, addon_host, sim):
    now = datetime(2026, 8, 11, 12, 0, tzinfo=UTC)
    clock.set_now(now)
    sim.state.clock.set(now)
    _client_id, user_id = enrol(addon_host, sim, "active@example.com")
    small = next(p for p in sim.state.plans.values() if p.name == "Small")
    sim.state.add_server(user_id, small.id, name="web-1", created_at=datetime(2026, 8, 3, 0, 0, tzinfo=UTC))
    sim.state.add_server(user_id, small.id, name="web-2", created_at=datetime(2026, 8, 10, 22, 30, tzinfo=UTC))
    c = app.test_client()
    login(c, "active@example.com")
    html = c.get("/index.php?m=solusio&action=usage").get_data(as_text=True)
    page = parse(html)
    days = table(page, "Tokens per day this month")
    assert days[0] == ["Day", "Tokens"]
    # web-1: 24 h x 7 a day from the 3rd, 12 h on the 11th; web-2: the 22:00 and 23:00 hours of
    # the 10th, then 12 h on the 11th.
    assert days[1:] == [["1 Aug", "0"], ["2 Aug", "0"]] + [[f"{d} Aug", "168"] for d in range(3, 10)] + [
        ["10 Aug", "182"], ["11 Aug", "168"]]
    # (8 x 24 + 12) h x 7 + (2 + 12) h x 7 = 1428 + 98 = 1526 tokens x $0.0010 = $1.526 -> $1.53
    estimate = re.search(r'<p class="usage-estimate" id="usage-estimate">(.*?)</p>', html, re.S)
    assert estimate and " ".join(re.sub(r"<[^>]+>", "", estimate.group(1)).split()) == (
        "Estimated to date: $1.53 for 1,526 tokens at $0.0010 per token (USD).")
    assert_offline_and_named(html, page, 1)
    assert re.search(r"<desc [^>]*>Cloud tokens used on each day since 1 August, 1,526 in all.</desc>", html)


def test_a_capped_server_adds_nothing_once_its_monthly_cap_is_reached(app, addon_host, sim):
    now = datetime(2026, 8, 6, 6, 0, tzinfo=UTC)
    clock.set_now(now)
    sim.state.clock.set(now)
    _client_id, user_id = enrol(addon_host, sim, "capped@example.com")
    tiny = sim.state.add_plan("Tiny", tokens_per_hour=10, tokens_per_month=500)
    sim.state.add_server(user_id, tiny.id, name="tiny-1", created_at=datetime(2026, 8, 1, 0, 0, tzinfo=UTC))
    c = app.test_client()
    login(c, "capped@example.com")
    html = c.get("/index.php?m=solusio&action=usage").get_data(as_text=True)
    # 24 h, 24 h, then the cap (500) two hours into the 3rd: each day is the month's growth, so
    # the days add up to the month's capped total, never a cap per day.
    assert table(parse(html), "Tokens per day this month")[1:] == [
        ["1 Aug", "240"], ["2 Aug", "240"], ["3 Aug", "20"], ["4 Aug", "0"], ["5 Aug", "0"], ["6 Aug", "0"]]
    assert "Estimated to date: <strong>$0.50</strong>" in html
