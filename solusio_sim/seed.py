"""Demo data and bulk generation."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .clock import parse_rfc3339, utc
from .state import SimState

#: The years a period may fall in: the range the host accepts for its dates and months (kept
#: here, not imported: the simulator imports nothing of the host).
MIN_YEAR, MAX_YEAR = 2000, 2199
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def period_problem(period: object) -> str | None:
    """Why ``period`` is not a month written ``YYYY-MM`` in the years allowed, or None."""
    match = _MONTH.fullmatch(period.strip()) if isinstance(period, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return "write the month as YYYY-MM, e.g. 2026-07"
    if not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        return f"the year must be from {MIN_YEAR} to {MAX_YEAR}"
    return None


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """``"2026-07"`` -> (2026-07-01T00:00Z, 2026-08-01T00:00Z). Strict: ``YYYY-MM`` with a year
    from ``MIN_YEAR`` to ``MAX_YEAR``; anything else is a ValueError that says why."""
    problem = period_problem(period)
    if problem:
        raise ValueError(f"period {period!r}: {problem}")
    year, month = (int(part) for part in period.strip().split("-"))
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def seed_demo(state: SimState) -> dict[str, list[int]]:
    """Two limit groups and three plans (Small is the docs' 7 tokens/h, cap 5000)."""
    groups = [state.add_limit_group("Default", vms=5, running_vms=5, additional_ips=2),
              state.add_limit_group("Unlimited")]
    plans = [state.add_plan("Small", 7, 5000, ip_tokens_per_hour=1, ip_tokens_per_month=500),
             state.add_plan("Medium", 14, 10000, ip_tokens_per_hour=1, ip_tokens_per_month=500),
             state.add_plan("Large", 28, 20000, ip_tokens_per_hour=2, ip_tokens_per_month=1000)]
    return {"limit_groups": [g.id for g in groups], "plans": [p.id for p in plans]}


def bulk_generate(state: SimState, users: int, servers_per_user: int,
                  period_start: datetime, period_end: datetime,
                  billing_user_id_start: int = 1, seed: int = 0,
                  email_domain: str = "bulk.solusio.test") -> dict[str, Any]:
    """``users`` users (``user<billing id>@<domain>``, billing ids from
    ``billing_user_id_start``) with ``servers_per_user`` servers each, whose running
    history covers ``[period_start, period_end)`` in four deterministic patterns:
    running all period, created mid-period, stopped mid-period, created and deleted
    inside the period. Every fifth server has an additional IP. Seeds the demo plans and
    limit groups first when there are no plans.
    """
    start, end = utc(period_start), utc(period_end)
    if not state.plans:
        seed_demo(state)
    rnd = random.Random(seed)
    span_hours = max(1, int((end - start).total_seconds() // 3600))
    first_user_id = last_user_id = 0
    server_count = 0
    with state.lock:
        plan_ids = list(state.plans)
        group_id = next(iter(state.limit_groups), None)
        for i in range(users):
            billing_id = billing_user_id_start + i
            user = state.add_user(f"user{billing_id}@{email_domain}", "password123",
                                  billing_user_id=billing_id, limit_group_id=group_id,
                                  created_at=start - timedelta(days=30))
            first_user_id = first_user_id or user.id
            last_user_id = user.id
            for j in range(servers_per_user):
                pattern = (i * servers_per_user + j) % 4
                plan_id = plan_ids[(i + j) % len(plan_ids)]
                ips = 1 if (i * servers_per_user + j) % 5 == 0 else 0
                offset = timedelta(hours=rnd.randrange(span_hours), minutes=rnd.randrange(60))
                if pattern == 0:
                    created = start - timedelta(days=3)
                elif pattern == 1 or pattern == 3:
                    created = start + offset
                else:
                    created = start - timedelta(days=1)
                if created >= end:
                    created = start
                h = f"{rnd.getrandbits(128):032x}"
                server = state.add_server(user.id, plan_id, f"vm-{billing_id}-{j + 1}",
                                          created_at=created, additional_ips=ips,
                                          uuid=f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}")
                server_count += 1
                if pattern == 2:
                    state.stop_server(server.id, at=min(end, start + offset))
                elif pattern == 3:
                    state.delete_server(server.id, at=min(
                        end, created + timedelta(hours=rnd.randrange(1, 48),
                                                 minutes=rnd.randrange(60))))
    return {"users": users, "servers": server_count, "first_user_id": first_user_id,
            "last_user_id": last_user_id, "from": start.isoformat(), "to": end.isoformat()}


def _when(value: Any) -> datetime | None:
    return parse_rfc3339(value) if isinstance(value, str) else value


def seed_from_spec(state: SimState, spec: dict[str, Any]) -> dict[str, Any]:
    """Seed from a JSON spec (the ``POST /_sim/seed`` body)::

        {"demo": true,
         "limit_groups": [{"name": ..., "vms": 5, ...}],
         "plans": [{"name": ..., "tokens_per_hour": 7, "tokens_per_month": 5000, ...}],
         "users": [{"email": ..., "password": ..., "billing_user_id": 1, ...}],
         "servers": [{"user_id": 2, "plan_id": 1, "name": ..., "created_at": "...Z",
                      "additional_ips": 0, "stopped_at": "...Z", "deleted_at": "...Z"}],
         "bulk": {"users": 100, "servers_per_user": 3, "period": "2026-07",
                  "billing_user_id_start": 1}}
    """
    out: dict[str, Any] = {}
    if spec.get("demo"):
        out["demo"] = seed_demo(state)
    out["limit_groups"] = [state.add_limit_group(**g).id for g in spec.get("limit_groups", [])]
    out["plans"] = [state.add_plan(**p).id for p in spec.get("plans", [])]
    out["users"] = []
    for u in spec.get("users", []):
        u = dict(u)
        if "created_at" in u:
            u["created_at"] = _when(u["created_at"])
        out["users"].append(state.add_user(**u).id)
    out["servers"] = []
    for s in spec.get("servers", []):
        s = dict(s)
        stopped_at, deleted_at = _when(s.pop("stopped_at", None)), _when(s.pop("deleted_at", None))
        if "created_at" in s:
            s["created_at"] = _when(s["created_at"])
        server = state.add_server(**s)
        if stopped_at:
            state.stop_server(server.id, at=stopped_at)
        if deleted_at:
            state.delete_server(server.id, at=deleted_at)
        out["servers"].append(server.id)
    if "bulk" in spec:
        bulk = dict(spec["bulk"])
        start, end = month_bounds(bulk.pop("period"))
        out["bulk"] = bulk_generate(state, period_start=start, period_end=end, **bulk)
    return out
