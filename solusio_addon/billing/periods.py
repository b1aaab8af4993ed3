"""Billing periods: calendar months in the host's time zone, half-open [start, end).

A month is written ``YYYY-MM``: four digits of a year from ``MIN_YEAR`` to ``MAX_YEAR``, two of
the month (``2026-07``); ``26-7``, ``0001-01`` or ``9999-12`` are refused with a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

#: The years a period may fall in (the host's command line takes dates in the same range).
MIN_YEAR, MAX_YEAR = 2000, 2199
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def period_problem(text: str) -> str | None:
    """Why ``text`` is not a month written ``YYYY-MM`` in the years allowed, or None."""
    match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return "write the month as YYYY-MM, e.g. 2026-07"
    if not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        return f"the year must be from {MIN_YEAR} to {MAX_YEAR}"
    return None


@dataclass(frozen=True, order=True)
class Period:
    start: date  # the 1st of the month
    end: date  # the 1st of the next month (exclusive)

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        start = date(year, month, 1)
        return cls(start, _next_month(start))

    @classmethod
    def parse(cls, text: str) -> "Period":
        """``YYYY-MM`` -> that month; ValueError ``period: '26-7': write the month as ...`` otherwise."""
        problem = period_problem(text)
        if problem:
            raise ValueError(f"period: {text!r}: {problem}")
        year, month = text.strip().split("-")
        return cls.month(int(year), int(month))

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The period as aware instants in ``tz`` (what SolusIO's usage call is asked for)."""
        return datetime.combine(self.start, time(0), tzinfo=tz), datetime.combine(self.end, time(0), tzinfo=tz)

    def previous(self) -> "Period":
        prev_start = date(self.start.year - (self.start.month == 1), (self.start.month - 2) % 12 + 1, 1)
        return Period(prev_start, self.start)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def last_complete_month(today: date) -> Period:
    """On 1 August (or any day of August), July."""
    return Period.month(today.year, today.month).previous()


def due_periods(today: date, lookback_months: int, enrolled_on: date) -> list[Period]:
    """Complete months to invoice as of ``today``, oldest first.

    The last ``lookback_months`` complete months (at least one), never a month that ended
    before the client enrolled. A run that missed the 1st, or whole months, catches up.
    """
    periods: list[Period] = []
    period = last_complete_month(today)
    for _ in range(max(1, lookback_months)):
        if period.end <= enrolled_on.replace(day=1):
            break
        periods.append(period)
        period = period.previous()
    return sorted(periods)
