"""The retry policy (urllib3's Retry in the adapter) over real HTTP against the simulator.

Attempts are counted by the simulator's request log; waits are recorded by an injected ``sleep``
instead of being taken, so nothing here depends on the wall clock.
"""

from __future__ import annotations

import logging
import socket

import pytest

from solusio_addon.solusio_api import (
    ClientOptions,
    SolusioConnectionError,
    SolusioNotFound,
    SolusioRateLimited,
    SolusioServerError,
)
from solusio_addon.solusio_api.retry import IDEMPOTENT_METHODS, SolusioRetry


def statuses(sim, method, path):
    return [r.status for r in sim.requests if r.method == method and r.path == "/api/v1/" + path]


@pytest.fixture
def waits():
    return []


@pytest.fixture
def recording(make_client, waits):
    """A client whose retry waits are recorded, not slept."""

    def make(**kw):
        kw.setdefault("sleep", waits.append)
        return make_client(**kw)

    return make


# ------------------------------------------------------------------ which failures are retried


@pytest.mark.parametrize("method", sorted(IDEMPOTENT_METHODS | {"POST"}))
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 501, 400, 404, 422])
def test_which_answers_are_retried(method, status):
    retry = SolusioRetry.policy(retries=3, backoff=0, backoff_max=0, max_retry_after=5)
    expected = status == 429 or (status in (500, 502, 503, 504) and method != "POST")
    assert retry.is_retry(method, status) is expected


def test_5xx_on_get_is_retried_with_growing_jittered_waits(sim, recording, waits):
    user = sim.state.add_user("a@example.com")
    sim.faults.fail_next(3, method="GET", path_prefix=f"users/{user.id}", status=503)
    assert recording(retries=3, backoff=0.5, backoff_max=10).get_user(user.id).id == user.id
    assert statuses(sim, "GET", f"users/{user.id}") == [503, 503, 503, 200]
    assert len(waits) == 3
    for n, wait in enumerate(waits):  # backoff * 2**n, plus up to backoff/2 of jitter
        assert 0.5 * 2**n <= wait <= 0.5 * 2**n + 0.25


def test_waits_are_capped_by_backoff_max(sim, recording, waits):
    sim.faults.fail_next(3, method="GET", path_prefix="settings", status=502)
    recording(retries=3, backoff=4, backoff_max=5).get_settings()
    assert waits[0] >= 4 and waits[1:] == [5.0, 5.0]


def test_retries_give_up_after_the_configured_number(sim, recording, waits):
    user = sim.state.add_user("b@example.com")
    sim.faults.fail_next(10, method="GET", path_prefix=f"users/{user.id}", status=503)
    with pytest.raises(SolusioServerError) as ei:
        recording(retries=3).get_user(user.id)
    assert ei.value.status == 503
    assert statuses(sim, "GET", f"users/{user.id}") == [503] * 4  # 1 + retries=3
    assert len(waits) == 3


def test_5xx_on_post_is_not_retried(sim, recording, waits):
    user = sim.state.add_user("c@example.com")
    sim.faults.fail_next(1, method="POST", path_prefix=f"users/{user.id}/tokens", status=502)
    with pytest.raises(SolusioServerError):
        recording().create_login_token(user.id)
    assert statuses(sim, "POST", f"users/{user.id}/tokens") == [502]
    assert waits == []


def test_a_refused_connection_is_retried_for_post_too(recording, waits):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    from solusio_addon.solusio_api import SolusioClient

    c = SolusioClient(f"http://127.0.0.1:{port}", "key", retries=2, backoff=0.1, sleep=waits.append)
    with pytest.raises(SolusioConnectionError, match="refused") as ei:
        c.create_login_token(1)
    assert ei.value.maybe_processed is False
    assert len(waits) == 2  # two retries, each after a wait


def test_each_retry_is_logged_with_its_cause_and_wait(sim, recording, caplog):
    caplog.set_level(logging.WARNING, logger="solusio_addon.solusio_api")
    sim.faults.fail_next(1, method="GET", path_prefix="settings", status=504)
    recording(retries=2, backoff=0.5).get_settings()
    [record] = [r for r in caplog.records if r.name == "solusio_addon.solusio_api"]
    assert "GET /api/v1/settings: HTTP 504; retry 1 of 2 in 0." in record.getMessage()


# ------------------------------------------------------------------ 429 and Retry-After


def test_retry_after_is_waited_exactly(sim, recording, waits):
    sim.faults.configure(rate_limit_next=2, retry_after=2)
    assert recording(max_retry_after=3).get_settings()
    assert statuses(sim, "GET", "settings") == [429, 429, 200]
    assert waits == [2.0, 2.0]


def test_429_is_retried_for_post(sim, recording, waits):
    user = sim.state.add_user("d@example.com")
    sim.faults.configure(rate_limit_next=1, retry_after=1)
    assert recording().create_login_token(user.id)
    assert statuses(sim, "POST", f"users/{user.id}/tokens") == [429, 201]
    assert waits == [1.0]


def test_retry_after_over_the_cap_raises_at_once_without_waiting(sim, recording, waits):
    sim.faults.configure(rate_limit_next=1, retry_after=5)
    with pytest.raises(SolusioRateLimited) as ei:
        recording(max_retry_after=1).get_settings()
    assert ei.value.retry_after == 5 and "Retry after 5 s" in str(ei.value)
    assert statuses(sim, "GET", "settings") == [429]
    assert waits == []


def test_429_out_of_retries_is_reported(sim, recording, waits):
    sim.faults.configure(rate_limit_next=5, retry_after=1)
    with pytest.raises(SolusioRateLimited) as ei:
        recording(retries=2).get_settings()
    assert ei.value.retry_after == 1
    assert statuses(sim, "GET", "settings") == [429, 429, 429]
    assert waits == [1.0, 1.0]


# ------------------------------------------------------------------ DELETE whose answer was lost


def test_delete_whose_first_answer_was_lost_counts_as_done(sim, recording):
    user = sim.state.add_user("e@example.com")
    # SolusIO deletes the user, then the connection dies before the 204 reaches the client
    sim.faults.fail_next(1, method="DELETE", path_prefix=f"users/{user.id}", after_processing=True)
    assert recording().delete_user(user.id) is None
    assert statuses(sim, "DELETE", f"users/{user.id}") == [204, 404]


def test_a_404_after_a_429_is_still_an_error(sim, recording):
    # a 429 was refused unprocessed: the 404 that follows means the user never existed
    sim.faults.configure(rate_limit_next=1, retry_after=1)
    with pytest.raises(SolusioNotFound):
        recording().delete_user(999)
    assert statuses(sim, "DELETE", "users/999") == [429, 404]


# ------------------------------------------------------------------ options


def test_options_object_and_keywords_are_the_same_surface(sim, waits):
    from solusio_addon.solusio_api import SolusioClient

    base = ClientOptions(retries=1, backoff=0.25, sleep=waits.append)
    c = SolusioClient(sim.url, sim.admin_token, base, retries=4)
    assert c.options.retries == 4 and c.options.backoff == 0.25 and c.options.sleep == waits.append
    assert SolusioClient(sim.url, sim.admin_token, retries=4, backoff=0.25).options == ClientOptions(retries=4, backoff=0.25)
    with pytest.raises(TypeError, match="retires"):
        SolusioClient(sim.url, sim.admin_token, retires=4)
    assert ClientOptions(retries=-3, backoff=-1).retries == 0  # clamped, as before
