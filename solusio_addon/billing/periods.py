"""Billing periods: calendar months in the host's time zone, half-open [start, end)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo


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
        """``YYYY-MM`` -> that month; ValueError with a sentence otherwise."""
        try:
            year, month = (int(p) for p in text.strip().split("-"))
            return cls.month(year, month)
        except (ValueError, TypeError):
            raise ValueError(f"period: {text!r} is not a month written YYYY-MM") from None

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
