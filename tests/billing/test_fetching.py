"""The usage fetch over real HTTP: every job once, and jobs fetched ahead of a caller that is
busy writing (the next batch comes in while the last one is written)."""

from __future__ import annotations

from datetime import timezone

from solusio_addon.billing.fetching import Job, ThreadFetcher
from solusio_addon.billing.periods import Period
from solusio_addon.solusio_api import SolusioClient


def make_jobs(sim, count: int) -> list[Job]:
    users = [sim.state.add_user(f"user{n}@example.com") for n in range(count)]
    return [Job(client_id=n + 1, solusio_user_id=user.id, currency_id=1, period=Period.parse("2026-07"))
            for n, user in enumerate(users)]


def test_jobs_are_fetched_ahead_of_the_caller_up_to_its_window(sim):
    jobs = make_jobs(sim, 20)
    pulled: list[Job] = []

    def feed():
        for job in jobs:
            pulled.append(job)
            yield job

    api = SolusioClient(sim.url, sim.admin_token, retries=0)
    fetcher = ThreadFetcher(api, timezone.utc, workers=2, ahead=5)
    results = fetcher.fetch_all(feed())
    first = next(results)
    # Before the caller has taken one result, 2 in flight and 5 more were already submitted.
    assert len(pulled) == 7
    rest = list(results)
    assert len(pulled) == 20
    fetched = [first, *rest]
    assert sorted(f.job.client_id for f in fetched) == list(range(1, 21))  # each job once
    assert all(f.usage is not None and f.error == "" for f in fetched)


def test_the_window_is_never_below_the_requests_in_flight(sim):
    fetcher = ThreadFetcher(SolusioClient(sim.url, sim.admin_token, retries=0), timezone.utc, workers=4)
    assert fetcher.ahead == 4
    assert ThreadFetcher(fetcher.api, timezone.utc, workers=4, ahead=250).ahead == 250
