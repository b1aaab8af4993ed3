"""JSON shapes of the API objects (field names as in the contract)."""

from __future__ import annotations

from typing import Any

from .clock import iso
from .models import LimitGroup, Plan, Server, User
from .state import SimState


def limit_group(group: LimitGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name,
            "vms": {"limit": group.vms.limit, "is_enabled": group.vms.is_enabled},
            "running_vms": {"limit": group.running_vms.limit,
                            "is_enabled": group.running_vms.is_enabled},
            "additional_ips": {"limit": group.additional_ips.limit,
                               "is_enabled": group.additional_ips.is_enabled}}


def user(state: SimState, u: User) -> dict[str, Any]:
    group = state.limit_groups.get(u.limit_group_id) if u.limit_group_id else None
    return {"id": u.id, "email": u.email, "status": u.status,
            "billing_user_id": u.billing_user_id, "created_at": iso(u.created_at),
            "roles": state.role_objects(u.role_ids),
            "limit_group": limit_group(group) if group else None}


def plan(p: Plan, price: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "tokens_per_hour": p.tokens_per_hour,
            "tokens_per_month": p.tokens_per_month, "ip_tokens_per_hour": p.ip_tokens_per_hour,
            "ip_tokens_per_month": p.ip_tokens_per_month, "price": price}


def server(state: SimState, s: Server) -> dict[str, Any]:
    owner = state.users.get(s.user_id)
    return {"id": s.id, "uuid": s.uuid, "name": s.name, "status": s.status,
            "is_suspended": s.is_suspended, "created_at": iso(s.created_at),
            "deleted_at": iso(s.deleted_at), "additional_ips": s.additional_ips,
            "plan": plan(state.plans[s.plan_id]),
            "user": user(state, owner) if owner else None}
