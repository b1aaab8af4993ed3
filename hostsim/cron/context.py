"""What a task (and the cron hooks) receive: the host's ``CronContext`` plus heartbeat and progress."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, TypeVar

import click

from hostsim.plugins.types import CronContext

T = TypeVar("T")

#: Renew the task's lock at most this often from inside ``progress``.
HEARTBEAT_EVERY = 60.0


@dataclass
class TaskContext(CronContext):
    """A :class:`CronContext` for one task of one invocation.

    * ``say(level, msg)`` prints at ``-v`` * level (and keeps every message for the run's output);
    * ``heartbeat()`` renews the task's cross-process lock (a task running for hours calls it);
    * ``progress(items, length, label)`` iterates with a progress bar on a terminal, or with
      counts at ``-v`` otherwise, and beats the heartbeat as it goes.
    """

    task_name: str = ""
    renew_lock: Callable[[], bool] | None = None
    is_tty: bool = False
    log: list[str] = field(default_factory=list)
    _last_beat: float = field(default_factory=time.monotonic)

    def say(self, level: int, message: str) -> None:
        self.log.append(message)
        super().say(level, message)

    def heartbeat(self) -> bool:
        """Keep the lock on this task; False when it was lost (then stop soon)."""
        self._last_beat = time.monotonic()
        return self.renew_lock() if self.renew_lock else True

    def _maybe_beat(self) -> None:
        if time.monotonic() - self._last_beat >= HEARTBEAT_EVERY:
            self.heartbeat()

    def progress(self, iterable: Iterable[T], length: int | None = None, label: str = "") -> Iterator[T]:
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
