"""A background thread that delivers after-commit mail for a long job (see ``Mailer.in_background``).

The job commits batches (invoices and their queued emails); each commit hands the new message ids
to the courier, which sends them over one SMTP connection kept for the whole job while the job
goes on with its next batch. The outbox rules are the mailer's own: each message is claimed in
the database before it is sent and marked sent or failed after, so nothing is sent twice and a
process that dies leaves the rest queued for the ``DeliverQueuedMail`` sweep.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING

from hostsim.services.mail import SmtpConnection

if TYPE_CHECKING:
    from hostsim.services.mail import Mailer

log = logging.getLogger(__name__)


class Courier:
    def __init__(self, mailer: "Mailer", *, start: bool = True) -> None:
        self.mailer = mailer
        self.counts = {"sent": 0, "failed": 0}
        self._queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="mail-courier", daemon=True)
        if start:
            self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, ids: list[int]) -> None:
        if ids:
            self._queue.put(ids)

    def close(self) -> dict[str, int]:
        """Wait until everything submitted was delivered (or failed); the counts."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return self.counts

    def _run(self) -> None:
        settings = self.mailer.host.settings.all()
        with SmtpConnection(settings) as smtp:
            while (ids := self._queue.get()) is not None:
                try:
                    self.mailer.deliver_over(ids, settings, smtp, self.counts)
                except Exception:
                    # The messages stay queued (or claimed): the sweep sends them later.
                    log.exception("background delivery of %d message(s) failed", len(ids))
