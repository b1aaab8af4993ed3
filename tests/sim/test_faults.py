"""Fault injection over real HTTP."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from werkzeug.wrappers import Request, Response

from solusio_sim import SimServer

from .conftest import Api


def test_latency_is_added_to_api_calls_only(sim: SimServer, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(sim.app, "sleep", slept.append)
    sim.faults.latency_ms = 100
    assert api.get("account").status_code == 200
    assert requests.get(f"{sim.url}/auth/by-token", params={"token": "x"}, timeout=5).status_code == 401
    assert slept == [0.1]  # once, for the API call; browser pages have no latency


def test_concurrent_clients_are_served_at_the_same_time(sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every request waits inside the application until 16 are in there at once: a server that
    # served one request at a time would break the barrier (a 500) instead of answering 200.
    barrier = threading.Barrier(16, timeout=10)
    dispatch = sim.app.dispatch

    def dispatch_together(request: Request) -> Response:
        barrier.wait()
        return dispatch(request)

    monkeypatch.setattr(sim.app, "dispatch", dispatch_together)
    results: list[int] = []

    def client() -> None:
        results.append(Api(sim.api_url, sim.admin_token).get("plans").status_code)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [200] * 16
    assert len(sim.requests) == 16


def test_error_rate_is_deterministic_with_a_seed(sim: SimServer, api: Api) -> None:
    def run() -> list[int]:
        sim.faults.seed(7)
        return [api.get("account").status_code for _ in range(200)]

    sim.faults.error_rate = 0.3
    first = run()
    counts = Counter(first)
    assert set(counts) == {200, 500, 503}
    assert 30 <= counts[500] + counts[503] <= 90
    assert run() == first
    sim.faults.error_statuses = (500,)
    sim.faults.error_rate = 1.0
    resp = api.get("users")
    assert resp.status_code == 500 and resp.json() == {"message": "Server Error"}
    sim.faults.error_rate = 0.0
    assert api.get("users").status_code == 200


def test_429_with_retry_after_for_the_next_n_requests(sim: SimServer, api: Api) -> None:
    sim.faults.retry_after = 2
    sim.faults.rate_limit_next = 2
    for _ in range(2):
        resp = api.get("account")
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    assert api.get("account").status_code == 200


def test_dropped_connection_raises_connection_error(sim: SimServer, api: Api) -> None:
    assert api.get("account").status_code == 200  # keep-alive connection in the pool
    sim.faults.drop_next = 1
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("account")
    sim.faults.configure(drop_next=1)
    with pytest.raises(requests.exceptions.ConnectionError):  # a fresh connection, a body
        requests.post(sim.api_url + "users", json={}, timeout=5,
                      headers={"Authorization": f"Bearer {sim.admin_token}"})
    assert api.get("account").status_code == 200  # the client recovers on a new socket
    assert [r.status for r in sim.requests[-3:]] == [None, None, 200]


def test_hang_makes_clients_time_out(sim: SimServer, api: Api) -> None:
    sim.faults.hang_seconds = 3
    sim.faults.hang_next = 1
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("account", timeout=0.3)
    assert sim.faults.snapshot()["hang_next"] == 0  # only the next request hung
    assert api.get("account", timeout=2).status_code == 200  # well under the 3 s hang


def test_fail_next_matching_method_and_path(sim: SimServer, api: Api) -> None:
    user = sim.state.add_user("x@example.com")
    sim.faults.fail_next(2, method="PUT", path_prefix=f"users/{user.id}", status=503)
    assert api.get(f"users/{user.id}").status_code == 200
    assert api.put(f"users/{user.id}", json={"status": "locked"}).status_code == 503
    assert api.get("account").status_code == 200
    assert api.put(f"users/{user.id}", json={"status": "locked"}).status_code == 503
    assert sim.state.get_user(user.id).status == "active"  # the failed calls did nothing
    assert api.put(f"users/{user.id}", json={"status": "locked"}).status_code == 200
    sim.faults.fail_next(1, path_prefix="plans", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("plans")


def test_faults_do_not_touch_browser_pages(sim: SimServer) -> None:
    sim.faults.error_rate = 1.0
    resp = requests.get(f"{sim.url}/auth/by-token", params={"token": "x"}, timeout=5)
    assert resp.status_code == 401


def test_a_retrying_client_is_seen_attempt_by_attempt(sim: SimServer) -> None:
    """What the SolusIO client's retry policy looks like from the simulator's side."""
    from solusio_addon.solusio_api import SolusioClient

    waits: list[float] = []
    client = SolusioClient(sim.url, sim.admin_token, retries=3, backoff=0.2, sleep=waits.append)
    sim.faults.configure(rate_limit_next=2, retry_after=2)
    assert client.get_settings()
    sim.faults.fail_next(1, method="GET", path_prefix="settings", status=503)
    assert client.get_settings()
    sim.faults.configure(drop_next=1)
    assert client.get_settings()
    assert [r.status for r in sim.requests] == [429, 429, 200, 503, 200, None, 200]
    assert waits[:2] == [2.0, 2.0]  # Retry-After, as asked
    assert len(waits) == 4 and all(0.2 <= w <= 0.3 for w in waits[2:])  # first backoff step, jittered
    client.close()



def test_held_requests_wait_until_released_and_others_pass(sim: SimServer, api: Api) -> None:
    sim.faults.hold("users/")
    answers: list[int] = []
    waiting = [threading.Thread(target=lambda: answers.append(api.get("users/1").status_code)) for _ in range(3)]
    for th in waiting:
        th.start()
    while sim.faults.held < 3:
        assert all(th.is_alive() for th in waiting)
        threading.Event().wait(0.01)
    assert api.get("plans").status_code == 200 and api.get("users").status_code == 200  # not held
    assert answers == []
    sim.faults.release()
    for th in waiting:
        th.join(10)
    assert len(answers) == 3 and sim.faults.held == 0
