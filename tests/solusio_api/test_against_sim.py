"""The client against the SolusIO simulator, over real HTTP on a loopback port."""

from __future__ import annotations

import logging
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from solusio_addon.solusio_api import (
    LimitGroup,
    Plan,
    Server,
    SolusioAuthError,
    SolusioClient,
    SolusioError,
    SolusioNotFound,
    SolusioPermissionError,
    SolusioRateLimited,
    SolusioServerError,
    SolusioTimeout,
    SolusioValidationError,
    User,
)

UTC = timezone.utc


def api_calls(sim, method=None, path=None):
    return [r for r in sim.requests
            if (method is None or r.method == method) and (path is None or r.path == "/api/v1/" + path)]


# ------------------------------------------------------------------ connection


def test_connection_with_the_admin_token(sim, client):
    check = client.test_connection()
    assert isinstance(check.user, User) and check.user.email == sim.state.ADMIN_EMAIL
    assert check.installation_url == sim.url and check.api_url == sim.url + "/api/v1/"
    calls = [(r.method, r.path, r.query) for r in sim.requests]
    assert calls == [("GET", "/api/v1/account", ""), ("GET", "/api/v1/limit_groups", "page=1")]


def test_connection_with_a_non_admin_token(sim, make_client):
    token = sim.state.create_token(admin=False)
    with pytest.raises(SolusioPermissionError) as ei:
        make_client(token).test_connection()
    assert "the API token has no admin rights" in str(ei.value)
    assert ei.value.status == 403


def test_connection_with_a_bad_token(sim, make_client):
    with pytest.raises(SolusioAuthError) as ei:
        make_client("not-a-token").test_connection()
    assert ei.value.status == 401 and "rejected the API key" in str(ei.value)
    assert len(api_calls(sim)) == 1  # a 401 is not retried


@pytest.mark.parametrize("typed", ["{url}", "  {url}/  ", "{url}/api/v1", "{url}/api/v1/", "{url}//"])
def test_every_spelling_of_the_installation_url_reaches_the_api(sim, typed):
    with SolusioClient(typed.format(url=sim.url), sim.admin_token, retries=0) as c:
        assert c.api_url == sim.url + "/api/v1/"
        assert c.test_connection().user.email == sim.state.ADMIN_EMAIL


# ------------------------------------------------------------------ users


def test_find_user_by_email_walks_every_page_of_the_substring_search(sim, client):
    for i in range(50):
        sim.state.add_user(f"u{i:02d}.bob@example.com")
    target = sim.state.add_user("BOB@example.com")  # the exact match comes last (page 4 of 4)
    sim.clear_requests()
    found = client.find_user_by_email("bob@Example.com")
    assert found is not None and found.id == target.id and found.email == "BOB@example.com"
    pages = [r.query for r in api_calls(sim, "GET", "users")]
    assert len(pages) == 4
    assert all("filter%5Bsearch%5D=bob%40Example.com" in q for q in pages)
    assert [q.rsplit("page=", 1)[1] for q in pages] == ["1", "2", "3", "4"]

    sim.clear_requests()
    assert client.find_user_by_email("ob@example.com") is None  # 51 substring hits, no exact one
    assert len(api_calls(sim, "GET", "users")) == 4


def test_user_lifecycle(sim, client):
    group = sim.state.add_limit_group("Post-pay", vms=3, running_vms=2)
    user = client.create_user("carol@example.com", "s3cret-pass!", limit_group_id=group.id,
                              billing_user_id=77)
    assert (user.email, user.status, user.billing_user_id) == ("carol@example.com", "active", 77)
    assert user.limit_group is not None and user.limit_group.id == group.id
    assert user.limit_group.vms.limit == 3 and user.limit_group.additional_ips.is_enabled is False
    assert sim.state.get_user(user.id).password == "s3cret-pass!"

    assert client.get_user(user.id) == user
    assert client.set_user_status(user.id, "locked").status == "locked"
    assert client.set_user_status(user.id, "suspended").status == "suspended"
    assert sim.state.get_user(user.id).status == "suspended"
    assert client.set_user_status(user.id, "active").status == "active"
    assert client.change_user_email(user.id, "carol.new@example.com").email == "carol.new@example.com"
    assert client.find_user_by_email("carol@example.com") is None
    assert client.find_user_by_email("CAROL.NEW@example.com").id == user.id

    # creating an existing email returns the existing user, without a POST
    sim.clear_requests()
    assert client.create_user("carol.new@example.com", "whatever").id == user.id
    assert api_calls(sim, "POST") == []

    client.delete_user(user.id)
    with pytest.raises(SolusioNotFound):
        client.get_user(user.id)
    with pytest.raises(SolusioNotFound):
        client.delete_user(user.id)


def test_validation_errors_from_the_simulator(sim, client):
    with pytest.raises(SolusioValidationError) as ei:
        client.create_user("dave@example.com", "password1", limit_group_id=999)
    assert ei.value.status == 422 and "limit_group_id" in ei.value.errors
    assert ei.value.server_message


def test_limit_groups_across_pages(sim, client):
    ids = [sim.state.add_limit_group(f"group {i}", vms=i).id for i in range(1, 33)]
    groups = list(client.limit_groups())
    assert [g.id for g in groups] == ids and all(isinstance(g, LimitGroup) for g in groups)
    assert len(api_calls(sim, "GET", "limit_groups")) == 3


# ------------------------------------------------------------------ SSO


def test_login_token_and_login_url_work_once(sim, client):
    user = client.create_user("erin@example.com", "password1")
    token = client.create_login_token(user.id)
    url = client.login_url(token)
    assert url.startswith(sim.url + "/auth/by-token?token=")
    first = requests.get(url, timeout=5)
    assert first.status_code == 200 and "Logged in as erin@example.com" in first.text
    again = requests.get(url, timeout=5)
    assert again.status_code == 401
    # the one-time token is not an API token
    with pytest.raises(SolusioAuthError):
        SolusioClient(sim.url, token, retries=0).get_user(user.id)


# ------------------------------------------------------------------ servers, plans, settings


def test_servers_of_a_user_across_pages(sim, client):
    plan = sim.state.add_plan("Small", 7, 5000, 1, 700)
    owner = sim.state.add_user("frank@example.com")
    other = sim.state.add_user("grace@example.com")
    mine = [sim.state.add_server(owner.id, plan.id, name=f"web-{i}").id for i in range(20)]
    sim.state.add_server(other.id, plan.id)
    servers = list(client.servers_of_user(owner.id))
    assert [s.id for s in servers] == mine
    s0 = servers[0]
    assert isinstance(s0, Server) and s0.name == "web-0" and s0.status == "started"
    assert s0.plan.tokens_per_hour == 7 and s0.user.email == "frank@example.com"
    assert list(client.servers_of_user(sim.state.add_user("nobody@example.com").id)) == []


def test_plans(sim, client):
    ids = [sim.state.add_plan(f"P{i}", i, i * 500, 1, 100).id for i in range(1, 18)]
    plans = list(client.plans())
    assert [p.id for p in plans] == ids and all(isinstance(p, Plan) for p in plans)
    p = client.get_plan(ids[6])
    assert (p.name, p.tokens_per_hour, p.tokens_per_month, p.ip_tokens_per_hour, p.ip_tokens_per_month) == \
        ("P7", 7, 3500, 1, 100)
    with pytest.raises(SolusioNotFound):
        client.get_plan(9999)


def test_settings_and_billing_integration(sim, client):
    before = client.get_settings()
    assert "billing_integration" in before
    result = client.configure_billing_integration("https://billing.example.com/modules/addons/solusio/api/",
                                                  "fresh-secret-1")
    expected = {"type": "whmcs", "drivers": {"whmcs": {
        "url": "https://billing.example.com/modules/addons/solusio/api/", "token": "fresh-secret-1"}}}
    assert sim.state.settings["billing_integration"] == expected
    assert result["billing_integration"] == expected
    assert client.get_settings()["billing_integration"] == expected
    assert [r.method for r in api_calls(sim, path="settings")] == ["GET", "PATCH", "GET"]


# ------------------------------------------------------------------ usage


def test_usage_of_a_month(sim, client):
    sim.state.clock.set(datetime(2026, 8, 1, 6, 0, tzinfo=UTC))
    plan = sim.state.add_plan("Small", 7, 5000, 1, 500)
    user = sim.state.add_user("heidi@example.com")
    july = datetime(2026, 7, 1, tzinfo=UTC)
    part = sim.state.add_server(user.id, plan.id, name="web-1", created_at=july)
    sim.state.stop_server(part.id, at=july + timedelta(hours=700))
    sim.state.add_server(user.id, plan.id, name="web-2", created_at=july, additional_ips=2)

    usage = client.usage(user.id, july, datetime(2026, 8, 1, tzinfo=UTC))
    assert usage.user_id == user.id and usage.start == july
    by_kind = {(i.name, i.type): i for i in usage.items}
    web1 = by_kind[("web-1", "server")]
    assert (web1.hours, web1.tokens, web1.capped, web1.server_id) == (700, 4900, False, part.id)
    web2 = by_kind[("web-2", "server")]
    assert (web2.hours, web2.tokens, web2.capped) == (744, 5000, True)
    ips = by_kind[("web-2", "additional_ip")]
    assert (ips.quantity, ips.hours, ips.tokens, ips.capped) == (2, 744, 1000, True)
    assert usage.total_tokens == 4900 + 5000 + 1000 == sum(i.tokens for i in usage.items)
    query = api_calls(sim, "GET", f"users/{user.id}/usage")[0].query
    assert "filter%5Bfrom%5D=2026-07-01T00%3A00%3A00Z" in query
    assert "filter%5Bto%5D=2026-08-01T00%3A00%3A00Z" in query


# ------------------------------------------------------------------ faults


def test_transient_5xx_on_get_is_retried(sim, make_client):
    user = sim.state.add_user("ivan@example.com")
    sim.faults.fail_next(2, method="GET", path_prefix=f"users/{user.id}", status=503)
    assert make_client().get_user(user.id).id == user.id
    assert [r.status for r in api_calls(sim, "GET", f"users/{user.id}")] == [503, 503, 200]

    sim.faults.fail_next(3, method="GET", path_prefix=f"users/{user.id}", status=500)
    with pytest.raises(SolusioServerError) as ei:
        make_client(retries=2).get_user(user.id)
    assert ei.value.status == 500


def test_timeouts_and_drops_on_get_are_retried(sim, make_client):
    user = sim.state.add_user("judy@example.com")
    c = make_client(read_timeout=0.3)
    sim.faults.configure(hang_next=1, hang_seconds=2)
    assert c.get_user(user.id).id == user.id
    sim.faults.configure(drop_next=1)
    assert c.get_user(user.id).id == user.id
    # the hung request is logged when its hang ends
    sim.wait_for_requests(lambda log: len([r for r in log if r.path == f"/api/v1/users/{user.id}"]) >= 4)
    statuses = [r.status for r in api_calls(sim, "GET", f"users/{user.id}")]
    assert sorted(statuses, key=str) == [200, 200, 200, None]  # hung+retried, dropped+retried

    sim.faults.configure(hang_next=None, hang_seconds=2)
    with pytest.raises(SolusioTimeout) as ei:
        make_client(read_timeout=0.2, retries=1).get_user(user.id)
    assert "did not answer within 0.2 s" in str(ei.value)
    sim.faults.reset()


class _ArmBeforeFirstPost(requests.Session):
    """Arms a simulator fault right before the client's first POST leaves."""

    def __init__(self, arm):
        super().__init__()
        self._arm, self.posts = arm, 0

    def send(self, request, **kwargs):
        if request.method.upper() == "POST":
            self.posts += 1
            if self.posts == 1:
                self._arm()
        return super().send(request, **kwargs)


def test_create_user_whose_answer_is_lost_after_processing_is_not_duplicated(sim, make_client):
    # The simulator holds the POST for 0.6 s and then creates the user; the client gave up
    # after 0.2 s (read timeout) and looks the email up before trying again.
    session = _ArmBeforeFirstPost(lambda: sim.faults.configure(hang_next=1, hang_seconds=0.6))
    c = make_client(read_timeout=0.2, backoff=1.0, session=session)
    user = c.create_user("kim@example.com", "password1", billing_user_id=5)
    assert user.email == "kim@example.com" and user.billing_user_id == 5
    assert [u.id for u in sim.state.search_users("kim@example.com")] == [user.id]
    assert session.posts == 1


def test_create_user_processed_then_dropped_is_not_repeated(sim, make_client):
    # SolusIO creates the user, then the connection dies before the 201 reaches the client.
    sim.faults.fail_next(1, method="POST", path_prefix="users", after_processing=True)
    c = make_client()
    user = c.create_user("noor@example.com", "password1", billing_user_id=9)
    assert [u.id for u in sim.state.search_users("noor@example.com")] == [user.id]
    assert [r.status for r in api_calls(sim, "POST", "users")] == [201]


def test_create_user_whose_connection_drops_is_created_once(sim, make_client):
    sim.faults.fail_next(1, method="POST", path_prefix="users", drop=True)
    c = make_client()
    user = c.create_user("liam@example.com", "password1")
    assert [u.id for u in sim.state.search_users("liam@example.com")] == [user.id]
    assert [r.status for r in api_calls(sim, "POST", "users")] == [None, 201]


def test_other_posts_are_not_retried_after_a_read_timeout(sim, make_client):
    user = sim.state.add_user("mia@example.com")
    session = _ArmBeforeFirstPost(lambda: sim.faults.configure(hang_next=1, hang_seconds=0.5))
    c = make_client(read_timeout=0.2, session=session)
    with pytest.raises(SolusioTimeout) as ei:
        c.create_login_token(user.id)
    assert ei.value.maybe_processed is True
    # the hung POST is logged when its hang ends; the client raised after that one attempt
    assert sim.wait_for_requests(lambda log: any(r.method == "POST" for r in log))
    assert len(api_calls(sim, "POST")) == 1
    assert len([t for t in sim.state.tokens.values() if t.user_id == user.id]) == 1


def test_429_waits_for_retry_after(sim, make_client):
    sim.faults.configure(rate_limit_next=1, retry_after=1)
    waits: list[float] = []
    assert make_client(sleep=waits.append).get_settings()
    assert waits == [1.0]
    assert [r.status for r in api_calls(sim, "GET", "settings")] == [429, 200]

    sim.faults.configure(rate_limit_next=1, retry_after=5)
    with pytest.raises(SolusioRateLimited) as ei:
        make_client(max_retry_after=1).get_settings()
    assert ei.value.retry_after == 5 and "Retry after 5 s" in str(ei.value)


def test_shared_client_under_concurrency_and_random_errors(sim, make_client):
    users = [sim.state.add_user(f"user{i}@example.com") for i in range(8)]
    sim.faults.seed(7)
    sim.faults.configure(error_rate=0.2, error_statuses=[500, 502, 503, 504])
    c = make_client(retries=8, backoff=0.001)

    def own_threads() -> set[threading.Thread]:
        # the simulator serves each connection on a thread of its own, which lingers until the
        # peer's close is seen; only threads that are not the server's can be the client's
        return {t for t in threading.enumerate() if "process_request_thread" not in t.name}

    before = own_threads()
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: c.get_user(users[i % 8].id).id, range(80)))
    assert got == [users[i % 8].id for i in range(80)]
    assert any(r.status and r.status >= 500 for r in sim.requests)
    # the client starts no threads of its own (no background retry or keep-alive workers)
    assert own_threads() == before


def test_secrets_stay_out_of_logs_and_errors_over_http(sim, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    user = sim.state.add_user("nick@example.com")
    c = make_client(read_timeout=0.2, retries=1)
    errors: list[SolusioError] = []
    sim.faults.fail_next(2, method="GET", status=503)
    with pytest.raises(SolusioServerError) as ei:
        c.get_user(user.id)
    errors.append(ei.value)
    sim.faults.configure(hang_next=2, hang_seconds=1)
    with pytest.raises(SolusioTimeout) as ei:
        c.get_user(user.id)
    errors.append(ei.value)
    with pytest.raises(SolusioAuthError) as ei:
        make_client(sim.admin_token + "x").test_connection()
    errors.append(ei.value)
    secret = sim.admin_token
    assert secret not in repr(c) and secret not in str(c)
    for exc in errors:
        assert secret not in str(exc) and secret not in repr(exc) and secret not in (exc.detail or "")
    assert caplog.records and secret not in caplog.text


def test_a_pickled_client_is_rebuilt_from_its_arguments(sim, make_client):
    c = make_client(retries=2, read_timeout=7)
    copy = pickle.loads(pickle.dumps(c))
    assert copy.options == c.options and copy.api_url == c.api_url
    assert copy._t._session is not c._t._session  # its own pool on the other side
    assert copy.test_connection().user.email == sim.state.ADMIN_EMAIL
    copy.close()
