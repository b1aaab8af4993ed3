"""Background delivery of after-commit mail for a long job (see ``Mailer.in_background``).

The job commits batches (invoices and their queued emails); each commit hands the new message ids
to the courier, which sends them over SMTP connections kept for the whole job (a few side by side)
while the job goes on with its next batch. ``Courier`` does it in threads of this process;
``ProcessCourier`` in a process of its own, for a job large enough that building and sending its
messages would otherwise take the job's own CPU (a month-end: the interpreter runs one thread at
a time, so threads only overlap waiting). The outbox rules are the mailer's own: each message is
claimed in the database before it is sent and marked sent or failed after, so nothing is sent
twice and a process that dies leaves the rest queued for the ``DeliverQueuedMail`` sweep.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from typing import TYPE_CHECKING, Any

from hostsim.services.smtp import SmtpConnection

if TYPE_CHECKING:
    from hostsim.host import Host
    from hostsim.services.mail import Mailer

log = logging.getLogger(__name__)


#: Connections (and threads) a courier sends over: a message waits on four SMTP round trips, so
#: a few connections side by side keep the server busy while each waits for its replies.
CONNECTIONS = 3


class Courier:
    def __init__(self, mailer: "Mailer", *, start: bool = True, connections: int = CONNECTIONS) -> None:
        self.mailer = mailer
        self._queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._counts = [{"sent": 0, "failed": 0} for _ in range(connections)]
        self._threads = [threading.Thread(target=self._run, args=(counts,), name=f"mail-courier-{n}", daemon=True)
                         for n, counts in enumerate(self._counts)]
        if start:
            for thread in self._threads:
                thread.start()

    @property
    def counts(self) -> dict[str, int]:
        return {key: sum(c[key] for c in self._counts) for key in ("sent", "failed")}

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def submit(self, ids: list[int]) -> None:
        if ids:
            self._queue.put(ids)

    def close(self) -> dict[str, int]:
        """Wait until everything submitted was delivered (or failed); the counts."""
        running = [t for t in self._threads if t.is_alive()]
        for _ in running:
            self._queue.put(None)
        for thread in running:
            thread.join()
        return self.counts

    def _run(self, counts: dict[str, int]) -> None:
        settings = self.mailer.host.settings.all()
        with SmtpConnection(settings) as smtp:
            while (ids := self._queue.get()) is not None:
                try:
                    self.mailer.deliver_over(ids, settings, smtp, counts)
                except Exception:
                    # The messages stay queued (or claimed): the sweep sends them later.
                    log.exception("background delivery of %d message(s) failed", len(ids))


class ProcessCourier:
    """A ``Courier`` in a process of its own (same interface): ids go to it through a queue, its
    counts come back when it is closed. If the process dies, what it had not sent stays queued
    (or claimed) in the outbox and later commits are delivered in this process instead."""

    def __init__(self, mailer: "Mailer") -> None:
        self.mailer = mailer
        context = multiprocessing.get_context("spawn")
        self._inbox: Any = context.SimpleQueue()
        self._results: Any = context.SimpleQueue()
        self._counts = {"sent": 0, "failed": 0}
        self._process = mailer.host.worker_processes.start(_process_main, self._inbox, self._results,
                                                           name="hostsim-mail-courier")

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def alive(self) -> bool:
        return self._process.is_alive()

    def submit(self, ids: list[int]) -> None:
        if ids:
            self._inbox.put(ids)

    def close(self) -> dict[str, int]:
        """Wait until everything submitted was delivered (or failed); the counts."""
        began = time.monotonic()
        if self._process.is_alive():
            self._inbox.put(None)
        self._process.join()
        if self._process.exitcode == 0 and not self._results.empty():
            self._counts = self._results.get()
            log.info("mail courier process: %(sent)d sent, %(failed)d failed", self._counts)
            log.info("the job waited %.2f s for its last messages", time.monotonic() - began)
        else:
            log.warning("the mail courier process ended with exit code %s; what it did not send stays "
                        "queued for the DeliverQueuedMail sweep", self._process.exitcode)
        self._process.close()
        return self.counts


def _process_main(host: "Host", inbox: Any, results: Any) -> None:
    """The courier process: its threads deliver what the job's process submits, until ``None``."""
    courier = Courier(host.mail)
    while (ids := inbox.get()) is not None:
        courier.submit(ids)
    results.put(courier.close())
