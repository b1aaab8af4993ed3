"""SolusIO's token rules (pure functions), and the usage endpoint over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from solusio_sim import SimState
from solusio_sim.usage import capped_charge, month_windows, started_hours


def t(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


JUL, AUG, SEP = t(2026, 7, 1), t(2026, 8, 1), t(2026, 9, 1)
NOW = t(2027, 1, 1)


@pytest.fixture
def state() -> SimState:
    s = SimState()
    s.clock.set(NOW)
    return s


@pytest.fixture
def small(state: SimState) -> int:
    return state.add_plan("Small", 7, 5000, ip_tokens_per_hour=1, ip_tokens_per_month=500).id


def usage_items(state: SimState, user_id: int, start: datetime, end: datetime) -> list[dict]:
    return state.usage(user_id, start, end)["items"]


def test_docs_example_700_hours_pays_4900(state: SimState, small: int) -> None:
    user = state.add_user("a@example.com")
    server = state.add_server(user.id, small, "web-1", created_at=t(2026, 7, 1, 2))
    state.stop_server(server.id, at=t(2026, 7, 1, 2) + timedelta(hours=700))
    data = state.usage(user.id, JUL, AUG)
    assert data["total_tokens"] == 4900
    [item] = data["items"]
    assert (item["type"], item["hours"], item["tokens"], item["capped"]) == \
        ("server", 700, 4900, False)
    assert item["plan"] == {"id": small, "name": "Small", "tokens_per_hour": 7,
                            "tokens_per_month": 5000}
    assert item["server_uuid"] == server.uuid and item["name"] == "web-1"


def test_whole_31_day_month_is_capped_at_5000(state: SimState, small: int) -> None:
    user = state.add_user("a@example.com")
    state.add_server(user.id, small, created_at=t(2026, 6, 20))  # still running
    [item] = usage_items(state, user.id, JUL, AUG)
    assert item["hours"] == 744  # 744 * 7 = 5208 > 5000
    assert (item["tokens"], item["capped"]) == (5000, True)


@pytest.mark.parametrize("start,end,hours", [
    (t(2026, 2, 1), t(2026, 3, 1), 672),   # 28 days
    (t(2028, 2, 1), t(2028, 3, 1), 696),   # 29 days (leap year)
    (t(2026, 4, 1), t(2026, 5, 1), 720),   # 30 days
    (t(2026, 7, 1), t(2026, 8, 1), 744),   # 31 days
])
def test_month_edges(state: SimState, start: datetime, end: datetime, hours: int) -> None:
    state.clock.set(t(2030, 1, 1))
    plan = state.add_plan("Cheap", 1, 100_000)
    user = state.add_user("a@example.com")
    state.add_server(user.id, plan.id, created_at=start - timedelta(days=40))
    [item] = usage_items(state, user.id, start, end)
    assert item["hours"] == hours and item["tokens"] == hours and not item["capped"]


def test_28_day_month_under_the_cap(state: SimState, small: int) -> None:
    # February 2026: 672 h * 7 = 4704 < 5000, so a full month is NOT capped.
    user = state.add_user("a@example.com")
    state.add_server(user.id, small, created_at=t(2026, 1, 15))
    [item] = usage_items(state, user.id, t(2026, 2, 1), t(2026, 3, 1))
    assert (item["hours"], item["tokens"], item["capped"]) == (672, 4704, False)


def test_server_spanning_two_months_is_capped_per_month(state: SimState, small: int) -> None:
    user = state.add_user("a@example.com")
    # July 10 00:00 -> Aug 31 00:00: 528 h in July (3696 tokens), 720 h in August (capped).
    server = state.add_server(user.id, small, created_at=t(2026, 7, 10))
    state.stop_server(server.id, at=t(2026, 8, 31))
    [jul] = usage_items(state, user.id, JUL, AUG)
    [aug] = usage_items(state, user.id, AUG, SEP)
    [both] = usage_items(state, user.id, JUL, SEP)
    assert (jul["hours"], jul["tokens"], jul["capped"]) == (528, 3696, False)
    assert (aug["hours"], aug["tokens"], aug["capped"]) == (720, 5000, True)
    # one item over both months: each month capped separately, not 1248 h * 7 vs one cap
    assert (both["hours"], both["tokens"], both["capped"]) == (1248, 3696 + 5000, True)


def test_created_and_deleted_within_one_hour_pays_one_hour(state: SimState,
                                                          small: int) -> None:
    user = state.add_user("a@example.com")
    server = state.add_server(user.id, small, created_at=t(2026, 7, 5, 10, 5))
    state.delete_server(server.id, at=t(2026, 7, 5, 10, 10))
    [item] = usage_items(state, user.id, JUL, AUG)
    assert (item["hours"], item["tokens"]) == (1, 7)


def test_stop_and_start_within_the_same_hour_counts_the_hour_once(state: SimState,
                                                                  small: int) -> None:
    user = state.add_user("a@example.com")
    server = state.add_server(user.id, small, created_at=t(2026, 7, 5, 10, 0))
    state.stop_server(server.id, at=t(2026, 7, 5, 10, 20))
    state.start_server(server.id, at=t(2026, 7, 5, 10, 40))
    state.stop_server(server.id, at=t(2026, 7, 5, 12, 30))   # buckets 10, 11, 12
    state.start_server(server.id, at=t(2026, 7, 6, 0, 0))
    state.stop_server(server.id, at=t(2026, 7, 6, 2, 0))      # buckets 00, 01
    [item] = usage_items(state, user.id, JUL, AUG)
    assert (item["hours"], item["tokens"]) == (5, 35)


def test_stopped_server_pays_nothing_while_stopped(state: SimState, small: int) -> None:
    user = state.add_user("a@example.com")
    server = state.add_server(user.id, small, created_at=t(2026, 6, 1))
    state.stop_server(server.id, at=t(2026, 6, 30))
    assert state.usage(user.id, JUL, AUG) == {
        "user_id": user.id, "from": "2026-07-01T00:00:00.000000Z",
        "to": "2026-08-01T00:00:00.000000Z", "total_tokens": 0, "items": []}


def test_deleted_server_still_owes_its_hours(state: SimState, small: int) -> None:
    user = state.add_user("a@example.com")
    server = state.add_server(user.id, small, created_at=t(2026, 7, 1))
    state.delete_server(server.id, at=t(2026, 7, 11))
    assert state.list_servers(user.id) == []  # gone from the server list...
    [item] = usage_items(state, user.id, JUL, AUG)  # ...but still billed
    assert (item["hours"], item["tokens"]) == (240, 1680)
    assert item["to"] == "2026-07-11T00:00:00.000000Z"
    assert usage_items(state, user.id, AUG, SEP) == []


def test_additional_ips_are_a_separate_capped_item(state: SimState, small: int) -> None:
    user = state.add_user("a@example.com")
    whole = state.add_server(user.id, small, created_at=t(2026, 6, 1), additional_ips=2)
    state.stop_server(whole.id, at=t(2026, 7, 2))  # IPs stay reserved while stopped
    short = state.add_server(user.id, small, created_at=t(2026, 7, 1), additional_ips=1)
    state.delete_server(short.id, at=t(2026, 7, 1, 10))
    data = state.usage(user.id, JUL, AUG)
    ips = [i for i in data["items"] if i["type"] == "additional_ip"]
    assert [(i["server_id"], i["quantity"], i["hours"], i["tokens"], i["capped"])
            for i in ips] == [(whole.id, 2, 744, 1000, True), (short.id, 1, 10, 10, False)]
    assert ips[0]["plan"]["tokens_per_hour"] == 1 and ips[0]["plan"]["tokens_per_month"] == 500
    servers = [i for i in data["items"] if i["type"] == "server"]
    assert [(i["hours"], i["tokens"]) for i in servers] == [(24, 168), (10, 70)]
    assert data["total_tokens"] == 1000 + 10 + 168 + 70


def test_running_server_is_charged_up_to_now(state: SimState, small: int) -> None:
    state.clock.set(t(2026, 7, 2, 0, 30))
    user = state.add_user("a@example.com")
    state.add_server(user.id, small, created_at=t(2026, 7, 1, 0, 0))
    [item] = usage_items(state, user.id, JUL, AUG)
    assert item["hours"] == 25  # 24 full hours + the started 25th
    state.clock.advance(timedelta(hours=1))
    assert usage_items(state, user.id, JUL, AUG)[0]["hours"] == 26


def test_suspending_a_user_stops_its_servers_at_that_time(state: SimState, small: int) -> None:
    state.clock.set(t(2026, 7, 1))
    user = state.add_user("a@example.com")
    server = state.add_server(user.id, small)
    state.clock.set(t(2026, 7, 3))
    state.set_user_status(user.id, "suspended")
    assert server.status == "stopped" and server.is_suspended
    state.clock.set(t(2026, 7, 20))
    assert usage_items(state, user.id, JUL, AUG)[0]["hours"] == 48


def test_helpers() -> None:
    assert month_windows(t(2026, 7, 15), t(2026, 9, 2)) == [
        (t(2026, 7, 15), AUG), (AUG, SEP), (SEP, t(2026, 9, 2))]
    assert month_windows(t(2026, 12, 1), t(2027, 1, 1)) == [(t(2026, 12, 1), t(2027, 1, 1))]
    spans = [(t(2026, 7, 1, 10, 30), t(2026, 7, 1, 11, 10))]
    assert started_hours(spans, JUL, AUG, NOW) == 2  # touches buckets 10 and 11
    assert started_hours([(t(2026, 7, 1, 10), t(2026, 7, 1, 10))], JUL, AUG, NOW) == 1
    assert started_hours(spans, AUG, SEP, NOW) == 0
    assert capped_charge([(JUL, None)], JUL, SEP, NOW, 7, 5000) == (744 + 744, 10000, True)
