"""An injectable clock: real UTC time by default, or frozen / shifted for tests."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


class Clock:
    """``now()`` is real time plus an offset, or a frozen instant after ``set()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(timezone.utc) + self._offset

    def set(self, when: datetime) -> None:
        """Freeze the clock at ``when``; it stays there until advanced or reset."""
        with self._lock:
            self._frozen = utc(when)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)

    @property
    def is_frozen(self) -> bool:
        return self._frozen is not None


def iso(dt: datetime | None) -> str | None:
    """Laravel's JSON date format: ``2026-07-01T00:00:00.000000Z``."""
    if dt is None:
        return None
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or an offset; a bare value is taken as UTC)."""
    value = text.strip()
    if not value or len(value) < 10:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    if value[-1] in "zZ":
        value = value[:-1] + "+00:00"
    return utc(datetime.fromisoformat(value))
