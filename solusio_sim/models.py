"""Plain records held by the simulator state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

USER_STATUSES = ("active", "locked", "suspended")
ROLES: dict[int, str] = {1: "admin", 2: "client"}


@dataclass(slots=True)
class Limit:
    limit: int = 0
    is_enabled: bool = False


@dataclass(slots=True)
class LimitGroup:
    id: int
    name: str
    vms: Limit
    running_vms: Limit
    additional_ips: Limit


@dataclass(slots=True)
class User:
    id: int
    email: str
    password: str
    status: str
    billing_user_id: int | None
    created_at: datetime
    role_ids: list[int]
    limit_group_id: int | None


@dataclass(slots=True)
class Plan:
    id: int
    name: str
    tokens_per_hour: int
    tokens_per_month: int
    ip_tokens_per_hour: int = 0
    ip_tokens_per_month: int = 0


@dataclass(slots=True)
class Interval:
    """One stretch of running time; ``stop`` is None while the server still runs."""

    start: datetime
    stop: datetime | None = None


@dataclass(slots=True)
class Server:
    id: int
    uuid: str
    name: str
    status: str  # "started" | "stopped"
    is_suspended: bool
    created_at: datetime
    deleted_at: datetime | None
    plan_id: int
    user_id: int
    additional_ips: int = 0
    intervals: list[Interval] = field(default_factory=list)


@dataclass(slots=True)
class Token:
    token: str
    user_id: int
    is_admin: bool
    is_one_time: bool = False
    used: bool = False
    id: int = 0
    created_at: datetime | None = None
