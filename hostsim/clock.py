"""The one clock of the host.

Everything that asks "what day is it?" (cron due-ness, invoice dates, overdue checks, token
expiry) reads it here, so ``hostsim cron ... --today 2026-08-01`` or ``HOSTSIM_TODAY`` moves the
whole host to that day while the time of day keeps running. Both take a day written
``YYYY-MM-DD`` with a four-digit year from ``MIN_YEAR`` to ``MAX_YEAR`` (``parse_host_date``).
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

#: The years a host date may fall in (``--today``, ``HOSTSIM_TODAY``): ``0001-01-01`` would leave
#: no previous day or month to compute with, ``9999-12-31`` no next one.
MIN_YEAR, MAX_YEAR = 2000, 2199
#: The variable that moves the process clock to a day, as ``--today`` does.
TODAY_ENV = "HOSTSIM_TODAY"
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class BadDate(ValueError):
    """A refused host date; the message says why in words (the caller says where it came from)."""


def parse_host_date(text: str) -> date:
    """``YYYY-MM-DD`` (surrounding blanks ignored) with a year from ``MIN_YEAR`` to ``MAX_YEAR``;
    BadDate otherwise (``26-08-01``, ``0001-01-01``, ``2026-02-30``)."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise BadDate("write the date as YYYY-MM-DD, e.g. 2026-08-01")
    year, month, day = (int(part) for part in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadDate(f"the year must be from {MIN_YEAR} to {MAX_YEAR}")
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate("there is no such day (the month is 01 to 12, the day exists in it)") from None


def today_from_env() -> date | None:
    """The day ``HOSTSIM_TODAY`` names, None when unset or empty; BadDate naming the variable."""
    raw = os.environ.get(TODAY_ENV, "")
    if not raw:
        return None
    try:
        return parse_host_date(raw)
    except BadDate as exc:
        raise BadDate(f"{TODAY_ENV} {raw!r}: {exc}") from None


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


#: Why ``HOSTSIM_TODAY`` was refused when this module was imported, or None. Importing never
#: fails on it (``hostsim --help`` still works); ``hostsim`` and ``Host`` refuse to run with it.
env_problem: str | None = None


def clock_from_env() -> Clock:
    global env_problem
    clock = Clock(os.environ.get("HOSTSIM_TIMEZONE", "UTC"))
    try:
        forced = today_from_env()
    except BadDate as exc:
        env_problem = str(exc)
        forced = None
    if forced is not None:
        clock.set_today(forced)
    return clock


#: The process-wide clock. Tests and ``--today`` move it; nothing else creates another.
clock = clock_from_env()
