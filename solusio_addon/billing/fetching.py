"""Fetching usage from SolusIO with the requests overlapped: a remote panel answers each call
after tens of milliseconds, so one call at a time would leave a month-end run waiting.

* ``ThreadFetcher``: a bounded thread pool in this process (small runs, tests).
* ``ProcessFetcher``: worker processes, each with its own client and thread pool. Parsing HTTP
  answers costs CPU, and one Python process runs one thread at a time: at tens of thousands of
  clients the run would be bound by the process that also writes the invoices. Jobs go out in
  chunks, at most two per worker are in flight, and results stream back in completion order.

Both yield a ``Fetched`` per job: the usage, or the reason SolusIO failed for it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import tzinfo
from itertools import islice
from typing import Iterable, Iterator, Protocol

from solusio_addon.billing.periods import Period
from solusio_addon.solusio_api import SolusioClient, SolusioError, Usage


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


class Fetcher(Protocol):
    def fetch_all(self, jobs: Iterable[Job]) -> Iterator[Fetched]: ...


def fetch_one(api: SolusioClient, job: Job, tz: tzinfo) -> Fetched:
    start, end = job.period.bounds(tz)
    try:
        return Fetched(job, api.usage(job.solusio_user_id, start, end))
    except SolusioError as exc:
        return Fetched(job, None, str(exc))


class ThreadFetcher:
    def __init__(self, api: SolusioClient, tz: tzinfo, workers: int = 32) -> None:
        self.api, self.tz, self.workers = api, tz, max(1, workers)

    def fetch_all(self, jobs: Iterable[Job]) -> Iterator[Fetched]:
        """At most ``2 x workers`` requests queued; results in completion order."""
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="solusio-usage") as pool:
            in_flight: set[Future[Fetched]] = set()
            for job in jobs:
                in_flight.add(pool.submit(fetch_one, self.api, job, self.tz))
                if len(in_flight) >= 2 * self.workers:
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            for future in in_flight:
                yield future.result()


# --- worker processes ------------------------------------------------------------------------

_worker: ThreadFetcher | None = None


def _init_worker(api: SolusioClient, tz: tzinfo, threads: int) -> None:
    global _worker
    _worker = ThreadFetcher(api, tz, threads)


def _fetch_chunk(jobs: list[Job]) -> list[Fetched]:
    assert _worker is not None, "worker process not initialised"
    return list(_worker.fetch_all(jobs))


class ProcessFetcher:
    def __init__(self, api: SolusioClient, tz: tzinfo, processes: int = 2, threads_per_process: int = 16,
                 chunk_size: int = 32) -> None:
        self.api, self.tz = api, tz
        self.processes = max(1, processes)
        self.threads = max(1, threads_per_process)
        self.chunk_size = max(1, chunk_size)

    def fetch_all(self, jobs: Iterable[Job]) -> Iterator[Fetched]:
        # "spawn", not fork: this process holds database connections and threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.processes, mp_context=context, initializer=_init_worker,
                                 initargs=(self.api, self.tz, self.threads)) as pool:
            in_flight: set[Future[list[Fetched]]] = set()
            source = iter(jobs)
            while chunk := list(islice(source, self.chunk_size)):
                in_flight.add(pool.submit(_fetch_chunk, chunk))
                if len(in_flight) >= 2 * self.processes:
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield from future.result()
            for future in in_flight:
                yield from future.result()
