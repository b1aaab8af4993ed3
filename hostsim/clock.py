"""The one clock of the host.

Everything that asks "what day is it?" (cron due-ness, invoice dates, overdue checks, token
expiry) reads it here, so ``hostsim cron ... --today 2026-08-01`` or ``HOSTSIM_TODAY`` moves the
whole host to that day while the time of day keeps running.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: str | tzinfo = "UTC") -> None:
        self._offset = timedelta(0)
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz

    def now(self) -> datetime:
        """Aware UTC now, shifted by any ``set_today``/``advance``."""
        return datetime.now(timezone.utc) + self._offset

    def local_now(self) -> datetime:
        return self.now().astimezone(self.tz)

    def today(self) -> date:
        """Today in the host's time zone."""
        return self.local_now().date()

    def set_today(self, day: date) -> None:
        """Move the clock to ``day`` keeping the current time of day."""
        real = datetime.now(timezone.utc).astimezone(self.tz)
        self._offset = datetime.combine(day, real.timetz()) - real

    def set_now(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("set_now needs an aware datetime")
        self._offset = moment - datetime.now(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta

    def reset(self) -> None:
        self._offset = timedelta(0)


def clock_from_env() -> Clock:
    clock = Clock(os.environ.get("HOSTSIM_TIMEZONE", "UTC"))
    forced = os.environ.get("HOSTSIM_TODAY")
    if forced:
        clock.set_today(date.fromisoformat(forced))
    return clock


#: The process-wide clock. Tests and ``--today`` move it; nothing else creates another.
clock = clock_from_env()
