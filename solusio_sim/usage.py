"""Token usage by SolusIO's rules, as pure functions.

Rules (see docs/solusio-api contract, "Token rules"):

* Every started hour is charged in full. An hour is a *clock hour bucket* in UTC
  (``10:00-11:00``, ``11:00-12:00``...). A server is charged for each bucket in which it ran
  for at least one instant inside the period. So a server created at 10:05 and deleted at
  10:20 pays 1 hour; one stopped at 10:20 and started again at 10:40 still pays 1 hour for
  that bucket; one running 10:30-11:10 touches two buckets and pays 2 hours. A running
  interval of zero length (created and deleted at the same instant) pays its bucket.
  Month edges fall on bucket edges, so each bucket belongs to exactly one calendar month.
* Per server per calendar month the charge is ``min(hours * tokens_per_hour,
  tokens_per_month)``. A period spanning several months is capped month by month.
* Deleted servers still owe the hours they ran before deletion.
* Additional IPs: charged per IP with ``ip_tokens_per_hour`` / ``ip_tokens_per_month`` (cap per
  IP per month) for every bucket in which the server *existed* (created, not yet deleted,
  running or not: the address stays reserved). One item of type ``additional_ip`` per server,
  with ``quantity`` = number of IPs, ``hours`` = hours per IP, ``tokens`` = for all IPs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from .clock import iso
from .models import Interval, Plan, Server

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = 1_000_000
HOUR_US = 3600 * _US

Span = tuple[datetime, datetime | None]


def _us(dt: datetime) -> int:
    delta = dt - _EPOCH
    return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds


def month_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Split the half-open ``[start, end)`` at calendar month edges (UTC)."""
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        if cursor.month == 12:
            next_month = cursor.replace(year=cursor.year + 1, month=1, day=1, hour=0,
                                        minute=0, second=0, microsecond=0)
        else:
            next_month = cursor.replace(month=cursor.month + 1, day=1, hour=0, minute=0,
                                        second=0, microsecond=0)
        stop = min(next_month, end)
        windows.append((cursor, stop))
        cursor = stop
    return windows


def started_hours(spans: Iterable[Span], start: datetime, end: datetime, now: datetime) -> int:
    """Number of distinct UTC hour buckets in which any span touches ``[start, end)``.

    A span with ``stop=None`` is still open and runs until ``now``.
    """
    lo, hi = _us(start), _us(end)
    ranges: list[tuple[int, int]] = []
    for span_start, span_stop in spans:
        s = _us(span_start)
        e = _us(now if span_stop is None else span_stop)
        if e < s:
            continue  # the clock was moved back before this span began
        if e == s:
            if lo <= s < hi:
                ranges.append((s // HOUR_US, s // HOUR_US + 1))
            continue
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        ranges.append((s // HOUR_US, (e - 1) // HOUR_US + 1))
    if not ranges:
        return 0
    ranges.sort()
    total = 0
    cur_lo, cur_hi = ranges[0]
    for r_lo, r_hi in ranges[1:]:
        if r_lo <= cur_hi:
            cur_hi = max(cur_hi, r_hi)
        else:
            total += cur_hi - cur_lo
            cur_lo, cur_hi = r_lo, r_hi
    return total + cur_hi - cur_lo


def capped_charge(spans: Sequence[Span], start: datetime, end: datetime, now: datetime,
                  per_hour: int, per_month: int) -> tuple[int, int, bool]:
    """(hours, tokens, capped) over ``[start, end)``, capping each calendar month."""
    hours = tokens = 0
    capped = False
    for m_start, m_end in month_windows(start, end):
        h = started_hours(spans, m_start, m_end, now)
        if not h:
            continue
        raw = h * per_hour
        if raw > per_month:
            raw = per_month
            capped = True
        hours += h
        tokens += raw
    return hours, tokens, capped


def running_spans(intervals: Sequence[Interval]) -> list[Span]:
    return [(i.start, i.stop) for i in intervals]


def server_items(server: Server, plan: Plan, start: datetime, end: datetime,
                 now: datetime) -> list[dict[str, Any]]:
    """The usage items (0, 1 or 2) of one server for ``[start, end)``."""
    items: list[dict[str, Any]] = []
    item_from = max(start, server.created_at)
    item_to = min(end, server.deleted_at) if server.deleted_at is not None else end
    base = {"server_id": server.id, "server_uuid": server.uuid, "name": server.name,
            "from": iso(item_from), "to": iso(item_to)}
    hours, tokens, capped = capped_charge(running_spans(server.intervals), start, end, now,
                                          plan.tokens_per_hour, plan.tokens_per_month)
    if hours:
        items.append({"type": "server", **base,
                      "plan": {"id": plan.id, "name": plan.name,
                               "tokens_per_hour": plan.tokens_per_hour,
                               "tokens_per_month": plan.tokens_per_month},
                      "quantity": 1, "hours": hours, "tokens": tokens, "capped": capped})
    if server.additional_ips > 0:
        existence: list[Span] = [(server.created_at, server.deleted_at)]
        ip_hours, ip_tokens, ip_capped = capped_charge(
            existence, start, end, now, plan.ip_tokens_per_hour, plan.ip_tokens_per_month)
        if ip_hours:
            items.append({"type": "additional_ip", **base,
                          "plan": {"id": plan.id, "name": plan.name,
                                   "tokens_per_hour": plan.ip_tokens_per_hour,
                                   "tokens_per_month": plan.ip_tokens_per_month},
                          "quantity": server.additional_ips, "hours": ip_hours,
                          "tokens": ip_tokens * server.additional_ips, "capped": ip_capped})
    return items


def user_usage(user_id: int, servers: Iterable[Server], plans: dict[int, Plan],
               start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    """The ``data`` object of ``GET users/{id}/usage`` for ``[start, end)``."""
    items: list[dict[str, Any]] = []
    for server in sorted(servers, key=lambda s: s.id):
        items.extend(server_items(server, plans[server.plan_id], start, end, now))
    return {"user_id": user_id, "from": iso(start), "to": iso(end),
            "total_tokens": sum(i["tokens"] for i in items), "items": items}
