"""Fault injection for API requests (``/api/v1/...``).

Set attributes directly (``sim.faults.latency_ms = 20``) or with ``configure(**values)``.
Order per request: latency, a ``hold``, then drop, hang, a matching ``fail_next`` rule, 429,
error rate.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class FailRule:
    """Answer the next ``count`` requests matching method + path prefix with ``status``
    (or drop the connection when ``drop``)."""

    count: int
    method: str | None = None  # None: any method
    path_prefix: str = ""  # matched against the path after /api/v1/, e.g. "users/12"
    status: int = 500
    drop: bool = False
    # Process the request for real, then drop the connection: the change is made but the
    # client never hears of it (what a retried POST must not duplicate).
    after_processing: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and \
            path.startswith(self.path_prefix)


@dataclass(frozen=True)
class Decision:
    """What the fault layer wants done with one request."""

    drop: bool = False
    status: int | None = None  # an error status to answer with instead of the real one
    retry_after: int | None = None
    hang_seconds: float = 0.0
    drop_after_processing: bool = False


class Faults:
    FIELDS = ("latency_ms", "error_rate", "error_statuses", "hang_seconds", "hang_next",
              "rate_limit_next", "retry_after", "drop_next", "drop_rate")

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.latency_ms: float = 0.0
        self.error_rate: float = 0.0  # fraction of requests answered with an error status
        self.error_statuses: tuple[int, ...] = (500, 503)
        self.hang_seconds: float = 0.0  # sleep this long before answering (client timeouts)
        self.hang_next: int | None = None  # None: every request hangs while hang_seconds>0
        self.rate_limit_next: int = 0  # answer the next N requests 429
        self.retry_after: int = 1  # Retry-After seconds on those 429s
        self.drop_next: int = 0  # drop the connection of the next N requests
        self.drop_rate: float = 0.0  # fraction of requests dropped
        self.rules: list[FailRule] = []
        self._random = random.Random(seed)
        # hold(): matching requests wait until release(); ``held`` counts those waiting.
        self._hold_prefix: str | None = None
        self._released = threading.Event()
        self._released.set()
        self.held = 0

    def seed(self, value: int) -> None:
        with self._lock:
            self._random = random.Random(value)

    def reset(self) -> None:
        with self._lock:
            self.latency_ms = self.error_rate = self.hang_seconds = self.drop_rate = 0.0
            self.error_statuses = (500, 503)
            self.hang_next = None
            self.rate_limit_next = self.drop_next = 0
            self.retry_after = 1
            self.rules = []
            self._hold_prefix = None
            self._released.set()

    def hold(self, path_prefix: str = "") -> None:
        """Keep requests whose path (after /api/v1/) starts with ``path_prefix`` waiting until
        :meth:`release`: SolusIO slow at a chosen moment, so that callers pile up in flight."""
        with self._lock:
            self._hold_prefix = path_prefix.lstrip("/")
            self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._hold_prefix = None
            self._released.set()

    def wait_if_held(self, api_path: str, stopping: threading.Event, limit: float = 60.0) -> None:
        """Wait while a hold matches ``api_path`` (at most ``limit`` seconds, or until shutdown)."""
        with self._lock:
            prefix = self._hold_prefix
            if prefix is None or not api_path.startswith(prefix):
                return
            self.held += 1
        try:
            deadline = time.monotonic() + limit
            while not self._released.wait(0.05) and not stopping.is_set() and time.monotonic() < deadline:
                pass
        finally:
            with self._lock:
                self.held -= 1

    def fail_next(self, count: int = 1, method: str | None = None, path_prefix: str = "",
                  status: int = 500, drop: bool = False, after_processing: bool = False) -> FailRule:
        rule = FailRule(count, method, path_prefix.lstrip("/"), status, drop, after_processing)
        with self._lock:
            self.rules.append(rule)
        return rule

    def configure(self, **values: Any) -> None:
        """Set several knobs at once (the CLI and ``POST /_sim/faults`` use this)."""
        for key, value in values.items():
            if key == "seed":
                self.seed(int(value))
            elif key == "reset":
                if value:
                    self.reset()
            elif key == "fail_next":
                for rule in value if isinstance(value, list) else [value]:
                    self.fail_next(**rule)
            elif key in self.FIELDS:
                if key == "error_statuses":
                    value = tuple(int(v) for v in value)
                elif key == "hang_next":
                    value = None if value is None else int(value)
                elif key in ("rate_limit_next", "retry_after", "drop_next"):
                    value = int(value)
                else:
                    value = float(value)
                with self._lock:
                    setattr(self, key, value)
            else:
                raise ValueError(f"unknown fault setting {key!r}")

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            data = {name: getattr(self, name) for name in self.FIELDS}
            data["error_statuses"] = list(self.error_statuses)
            data["rules"] = [vars(r).copy() for r in self.rules]
            return data

    def decide(self, method: str, api_path: str) -> Decision:
        """Consume counters and draw the random numbers for one API request."""
        with self._lock:
            if self.drop_next > 0:
                self.drop_next -= 1
                return Decision(drop=True)
            if self.drop_rate and self._random.random() < self.drop_rate:
                return Decision(drop=True)
            hang = 0.0
            if self.hang_seconds > 0 and (self.hang_next is None or self.hang_next > 0):
                hang = self.hang_seconds
                if self.hang_next is not None:
                    self.hang_next -= 1
            for rule in self.rules:
                if rule.count > 0 and rule.matches(method, api_path):
                    rule.count -= 1
                    self.rules = [r for r in self.rules if r.count > 0]
                    if rule.after_processing:
                        return Decision(drop_after_processing=True, hang_seconds=hang)
                    return Decision(drop=rule.drop, status=None if rule.drop else rule.status,
                                    hang_seconds=hang)
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return Decision(status=429, retry_after=self.retry_after, hang_seconds=hang)
            if self.error_rate and self._random.random() < self.error_rate:
                return Decision(status=self._random.choice(self.error_statuses),
                                hang_seconds=hang)
            return Decision(hang_seconds=hang)
