"""A cron task as an addon declares it, and what a task and the cron hooks receive: the invocation,
its output, heartbeat and progress."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Iterator, TypeVar

import click

T = TypeVar("T")

#: Renew the task's lock at most this often from inside ``progress`` (the runner sets the
#: context's ``heartbeat_every`` to its own heartbeat interval).
HEARTBEAT_EVERY = 20.0


@dataclass
class CronContext:
    """One cron invocation (or one task of it) as a task or a cron hook sees it.

    * ``today``: the day the run is as of (``--today``), in the host's time zone;
    * ``say(level, msg)`` prints at ``-v`` * level (and keeps every message for the run's output);
    * ``counters``: what the task reports (stored with its run; ``failed`` > 0 marks it failed);
    * ``heartbeat()`` renews the task's cross-process lock now; False once the lock is lost (the
      runner already renews it from a thread while the task runs, so a task need not call it);
    * ``progress(items, length, label)`` iterates with a progress bar on a terminal, or with
      counts at ``-v`` otherwise, and beats the heartbeat as it goes;
    * ``workers``: how many worker processes the run may use (``cron do --workers N``; 1 unless
      asked). Only a task registered with ``join`` is given more than one.
    """

    today: date
    verbosity: int
    force: bool
    echo: Callable[[str], None]
    counters: dict[str, Any] = field(default_factory=dict)
    task_name: str = ""
    renew_lock: Callable[[], bool] | None = None
    is_tty: bool = False
    log: list[str] = field(default_factory=list)
    heartbeat_every: float = HEARTBEAT_EVERY
    workers: int = 1
    _last_beat: float = field(default_factory=time.monotonic)

    def say(self, level: int, message: str) -> None:
        """Print ``message`` when the run is at least ``-v`` * level verbose."""
        self.log.append(message)
        if self.verbosity >= level:
            self.echo(message)

    def heartbeat(self) -> bool:
        """Keep the lock on this task; False when it was lost (then stop soon)."""
        self._last_beat = time.monotonic()
        return self.renew_lock() if self.renew_lock else True

    def _maybe_beat(self) -> None:
        if time.monotonic() - self._last_beat >= self.heartbeat_every:
            self.heartbeat()

    def progress(self, iterable: Iterable[T], length: int | None = None, label: str = "") -> Iterator[T]:
        """Iterate ``iterable``, showing progress (``length`` when known) and keeping the lock."""
        if length is None:
            try:
                length = len(iterable)  # type: ignore[arg-type]
            except TypeError:
                length = None
        label = label or self.task_name or "progress"
        if self.is_tty:
            with click.progressbar(iterable, length=length, label=label) as bar:
                for item in bar:
                    yield item
                    self._maybe_beat()
            return
        step = max(1, (length or 0) // 10) if length else 100
        count = 0
        for item in iterable:
            yield item
            count += 1
            if count % step == 0 or count == length:
                self.say(1, f"{label}: {count}/{length}" if length else f"{label}: {count}")
            self._maybe_beat()
        if length is None or count != length:
            self.say(1, f"{label}: {count} done")


@dataclass(frozen=True)
class CronTaskSpec:
    """A task an addon registers (WHMCS: a class with a system name, priority and frequency).

    ``run`` receives a :class:`CronContext`, reports counters into ``ctx.counters`` and raises
    to fail the task (other tasks still run). A task that wants the run marked failed without
    raising sets ``ctx.counters["failed"]`` to a non-zero number. The context carries no host:
    an addon's ``run`` closes over the ``host`` its ``register_cron_tasks`` received.

    A task that spreads its work over worker processes (``ctx.workers``) and shares it through
    the database sets ``join``: when another live process holds the task's lock and the command
    asked for ``--workers``, the runner calls ``join(ctx)`` instead of skipping the task, so this
    process (another host, say) works on the run in progress. ``join`` must only take work the
    running process has planned, never start a run of its own.
    """

    name: str
    run: Callable[[CronContext], None]
    description: str = ""
    frequency_minutes: int = 1440
    priority: int = 100
    module: str = ""
    join: Callable[[CronContext], None] | None = None
