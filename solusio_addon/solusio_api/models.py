"""Typed views of the SolusIO objects the addon uses.

Field names: contract section "Objects" (confirmed); usage: section "Usage of a user for a
period" (assumed). Every model keeps the decoded JSON in ``raw`` (excluded from repr/eq) so that a
field the addon does not type yet is still reachable. Parsing errors raise ``SolusioBadResponse``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Mapping

from .errors import SolusioBadResponse

__all__ = [
    "Role",
    "Limit",
    "LimitGroup",
    "User",
    "PlanPrice",
    "Plan",
    "Server",
    "UsageItem",
    "Usage",
    "ConnectionCheck",
    "USER_STATUSES",
]

UserStatus = Literal["active", "locked", "suspended"]
USER_STATUSES: tuple[str, ...] = ("active", "locked", "suspended")  # contract "User status semantics"
UsageItemType = Literal["server", "additional_ip"]
USAGE_ITEM_TYPES: tuple[str, ...] = ("server", "additional_ip")


def _bad(what: str, detail: str) -> SolusioBadResponse:
    return SolusioBadResponse(f"SolusIO sent a {what} that this addon cannot read ({detail}).", detail=detail)


def _obj(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _bad(what, f"expected an object, got {type(data).__name__}")
    return data


def _int(d: Mapping[str, Any], key: str, what: str, *, optional: bool = False) -> int | None:
    value = d.get(key)
    if value is None:
        if optional:
            return None
        raise _bad(what, f"missing {key!r}")
    if isinstance(value, bool):
        raise _bad(what, f"{key!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise _bad(what, f"{key!r} is not an integer: {value!r}")


def _req_int(d: Mapping[str, Any], key: str, what: str) -> int:
    value = _int(d, key, what)
    assert value is not None
    return value


def _str(d: Mapping[str, Any], key: str, what: str, *, optional: bool = False) -> str | None:
    value = d.get(key)
    if value is None:
        if optional:
            return None
        raise _bad(what, f"missing {key!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _bad(what, f"{key!r} is not a string")
    return value


def parse_time(value: Any, what: str = "timestamp") -> datetime | None:
    """RFC 3339 -> aware datetime (UTC when the text has no offset); None stays None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(what, f"time {value!r} is not a string")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise _bad(what, f"time {value!r} is not RFC 3339") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Role:
    id: int
    name: str

    @classmethod
    def from_api(cls, data: Any) -> Role:
        d = _obj(data, "role")
        return cls(id=_req_int(d, "id", "role"), name=_str(d, "name", "role", optional=True) or "")


@dataclass(frozen=True)
class Limit:
    limit: int
    is_enabled: bool

    @classmethod
    def from_api(cls, data: Any) -> Limit:
        if data is None:
            return cls(limit=0, is_enabled=False)
        d = _obj(data, "limit")
        return cls(limit=_int(d, "limit", "limit", optional=True) or 0, is_enabled=bool(d.get("is_enabled", False)))


@dataclass(frozen=True)
class LimitGroup:
    id: int
    name: str
    vms: Limit
    running_vms: Limit
    additional_ips: Limit
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> LimitGroup:
        d = _obj(data, "limit group")
        return cls(
            id=_req_int(d, "id", "limit group"),
            name=_str(d, "name", "limit group", optional=True) or "",
            vms=Limit.from_api(d.get("vms")),
            running_vms=Limit.from_api(d.get("running_vms")),
            additional_ips=Limit.from_api(d.get("additional_ips")),
            raw=dict(d),
        )


@dataclass(frozen=True)
class User:
    id: int
    email: str
    status: str
    billing_user_id: int | None
    created_at: datetime | None
    roles: tuple[Role, ...]
    limit_group: LimitGroup | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> User:
        d = _obj(data, "user")
        roles = d.get("roles") or []
        if not isinstance(roles, list):
            raise _bad("user", "'roles' is not a list")
        lg = d.get("limit_group")
        return cls(
            id=_req_int(d, "id", "user"),
            email=_str(d, "email", "user") or "",
            status=_str(d, "status", "user", optional=True) or "",
            billing_user_id=_int(d, "billing_user_id", "user", optional=True),
            created_at=parse_time(d.get("created_at"), "user"),
            roles=tuple(Role.from_api(r) for r in roles),
            limit_group=LimitGroup.from_api(lg) if lg else None,
            raw=dict(d),
        )


@dataclass(frozen=True)
class PlanPrice:
    """The price SolusIO computes from the billing integration (all strings, as sent)."""

    per_hour: str | None
    per_month: str | None
    currency_code: str | None
    taxes_inclusive: bool | None
    taxes: Any
    total_price: str | None

    @classmethod
    def from_api(cls, data: Any) -> PlanPrice:
        d = _obj(data, "plan price")
        ti = d.get("taxes_inclusive")
        return cls(
            per_hour=_str(d, "per_hour", "plan price", optional=True),
            per_month=_str(d, "per_month", "plan price", optional=True),
            currency_code=_str(d, "currency_code", "plan price", optional=True),
            taxes_inclusive=None if ti is None else bool(ti),
            taxes=d.get("taxes"),
            total_price=_str(d, "total_price", "plan price", optional=True),
        )


@dataclass(frozen=True)
class Plan:
    """A plan. Inside a usage item SolusIO sends only id, name and the server token prices, so the
    IP prices are None there."""

    id: int
    name: str
    tokens_per_hour: int
    tokens_per_month: int
    ip_tokens_per_hour: int | None = None
    ip_tokens_per_month: int | None = None
    price: PlanPrice | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> Plan:
        d = _obj(data, "plan")
        price = d.get("price")
        return cls(
            id=_req_int(d, "id", "plan"),
            name=_str(d, "name", "plan", optional=True) or "",
            tokens_per_hour=_int(d, "tokens_per_hour", "plan", optional=True) or 0,
            tokens_per_month=_int(d, "tokens_per_month", "plan", optional=True) or 0,
            ip_tokens_per_hour=_int(d, "ip_tokens_per_hour", "plan", optional=True),
            ip_tokens_per_month=_int(d, "ip_tokens_per_month", "plan", optional=True),
            price=PlanPrice.from_api(price) if isinstance(price, Mapping) else None,
            raw=dict(d),
        )


@dataclass(frozen=True)
class Server:
    id: int
    uuid: str
    name: str
    status: str
    is_suspended: bool
    created_at: datetime | None
    plan: Plan | None
    user: User | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> Server:
        d = _obj(data, "server")
        plan, user = d.get("plan"), d.get("user")
        return cls(
            id=_req_int(d, "id", "server"),
            uuid=_str(d, "uuid", "server", optional=True) or "",
            name=_str(d, "name", "server", optional=True) or "",
            status=_str(d, "status", "server", optional=True) or "",
            is_suspended=bool(d.get("is_suspended", False)),
            created_at=parse_time(d.get("created_at"), "server"),
            plan=Plan.from_api(plan) if plan else None,
            user=User.from_api(user) if user else None,
            raw=dict(d),
        )


@dataclass(frozen=True)
class UsageItem:
    """One line of a user's usage: a server or an additional IP over part of the period.

    [assumed] contract "Usage of a user for a period". ``capped`` is None when not sent.
    """

    type: str
    server_id: int | None
    server_uuid: str | None
    name: str
    plan: Plan | None
    start: datetime | None
    end: datetime | None
    hours: int
    tokens: int
    capped: bool | None = None
    quantity: int = 1  # number of IPs for an additional_ip item (tokens cover all of them)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> UsageItem:
        d = _obj(data, "usage item")
        kind = d.get("type")
        if kind not in USAGE_ITEM_TYPES:
            raise _bad("usage item", f"unknown type {kind!r}, expected one of {', '.join(USAGE_ITEM_TYPES)}")
        plan = d.get("plan")
        capped = d.get("capped")
        return cls(
            type=kind,
            server_id=_int(d, "server_id", "usage item", optional=True),
            server_uuid=_str(d, "server_uuid", "usage item", optional=True),
            name=_str(d, "name", "usage item", optional=True) or "",
            plan=Plan.from_api(plan) if plan else None,
            start=parse_time(d.get("from"), "usage item"),
            end=parse_time(d.get("to"), "usage item"),
            hours=_int(d, "hours", "usage item", optional=True) or 0,
            tokens=_req_int(d, "tokens", "usage item"),
            capped=None if capped is None else bool(capped),
            quantity=_int(d, "quantity", "usage item", optional=True) or 1,
            raw=dict(d),
        )


@dataclass(frozen=True)
class Usage:
    """Token usage of one user over the half-open period [start, end). [assumed] contract section."""

    user_id: int
    start: datetime | None
    end: datetime | None
    total_tokens: int
    items: tuple[UsageItem, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> Usage:
        d = _obj(data, "usage")
        items = d.get("items") or []
        if not isinstance(items, list):
            raise _bad("usage", "'items' is not a list")
        return cls(
            user_id=_req_int(d, "user_id", "usage"),
            start=parse_time(d.get("from"), "usage"),
            end=parse_time(d.get("to"), "usage"),
            total_tokens=_req_int(d, "total_tokens", "usage"),
            items=tuple(UsageItem.from_api(i) for i in items),
            raw=dict(d),
        )


@dataclass(frozen=True)
class ConnectionCheck:
    """Result of ``SolusioClient.test_connection``: whose token it is, and where it points."""

    user: User
    installation_url: str
    api_url: str
