"""Fetching usage from SolusIO with the requests overlapped: a remote panel answers each call
after tens of milliseconds, so one call at a time would leave a month-end run waiting.

``ThreadFetcher`` keeps a bounded number of requests in flight through a thread pool and yields
a ``Fetched`` per job (the usage, or the reason SolusIO failed for it) in completion order.
Worker processes were measured too: pickling the answers back cost more CPU than they saved on a
two-core machine, so there is one way to fetch.
"""

from __future__ import annotations

import queue
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import tzinfo
from typing import Iterable, Iterator

from solusio_addon.billing.periods import Period
from solusio_addon.solusio_api import SolusioClient, SolusioError, Usage

#: Requests to SolusIO in flight at most, in a run: the usage fetch, the status pushes and the
#: reconcile's pages share this bound (the client's connection pool has as many connections).
DEFAULT_WORKERS = 32


@dataclass(frozen=True)
class Job:
    client_id: int
    solusio_user_id: int
    currency_id: int
    period: Period


@dataclass(frozen=True)
class Fetched:
    job: Job
    usage: Usage | None
    error: str = ""


def fetch_one(api: SolusioClient, job: Job, tz: tzinfo) -> Fetched:
    start, end = job.period.bounds(tz)
    try:
        return Fetched(job, api.usage(job.solusio_user_id, start, end))
    except SolusioError as exc:
        return Fetched(job, None, str(exc))


class ThreadFetcher:
    """``workers`` requests in flight at most; ``ahead``: how many more jobs may be queued or
    finished and waiting for the caller. A caller that writes results in batches sets it to its
    batch size, so the next batch is fetched while it writes the last one (with only a few
    jobs ahead, the pool would stand idle through every write and the writer would then wait
    for a whole batch of round trips)."""

    def __init__(self, api: SolusioClient, tz: tzinfo, workers: int = DEFAULT_WORKERS, *, ahead: int = 0) -> None:
        self.api, self.tz, self.workers = api, tz, max(1, workers)
        self.ahead = max(self.workers, ahead)

    def fetch_all(self, jobs: Iterable[Job]) -> Iterator[Fetched]:
        """At most ``workers + ahead`` jobs submitted and not yet yielded; results in completion
        order. Finished futures land in a queue (``wait`` on a set would rescan every pending
        future per result)."""
        done: queue.SimpleQueue[Future[Fetched]] = queue.SimpleQueue()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="solusio-usage") as pool:
            pending = 0
            for job in jobs:
                pool.submit(fetch_one, self.api, job, self.tz).add_done_callback(done.put)
                pending += 1
                if pending >= self.workers + self.ahead:
                    yield done.get().result()
                    pending -= 1
            for _ in range(pending):
                yield done.get().result()
