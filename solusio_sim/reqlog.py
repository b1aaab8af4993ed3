"""A bounded log of the requests the simulator answered."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int | None  # None: the connection was dropped without an answer
    time: str  # ISO timestamp by the simulator clock
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, maxlen: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self.total = 0  # every request ever logged, beyond what the bounded deque keeps

    def add(self, entry: LoggedRequest) -> None:
        with self._added:
            self._entries.append(entry)
            self.total += 1
            self._added.notify_all()

    def wait_for(self, predicate: Callable[[list[LoggedRequest]], bool], timeout: float) -> bool:
        """Block until ``predicate(entries)`` holds or ``timeout`` seconds pass; return whether it holds.

        A request is logged when its answer is done (a hung one when its hang ends), so tests
        wait on the log instead of sleeping for a guessed time.
        """
        with self._added:
            return self._added.wait_for(lambda: predicate(list(self._entries)), timeout)

    def list(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
