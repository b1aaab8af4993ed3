"""Request-body validation with Laravel-style messages (``errors: {field: [msg, ...]}``)."""

from __future__ import annotations

import re
from typing import Any

from .models import ROLES, USER_STATUSES
from .state import SimState

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

Errors = dict[str, list[str]]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_email(state: SimState, body: dict[str, Any], errors: Errors,
                required: bool, own_user_id: int | None = None) -> None:
    if "email" not in body and not required:
        return
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        _add(errors, "email", "The email field is required.")
    elif len(email) > 255 or not EMAIL_RE.match(email):
        _add(errors, "email", "The email must be a valid email address.")
    else:
        other = state.find_user_by_email(email)
        if other is not None and other.id != own_user_id:
            _add(errors, "email", "The email has already been taken.")


def check_user_fields(state: SimState, body: dict[str, Any], errors: Errors,
                      creating: bool) -> None:
    """password, status, limit_group_id, billing_user_id, roles."""
    if creating or "password" in body:
        password = body.get("password")
        if not isinstance(password, str) or not password:
            _add(errors, "password", "The password field is required.")
        elif len(password) < 8:
            _add(errors, "password", "The password must be at least 8 characters.")
    if "status" in body and body["status"] not in USER_STATUSES:
        _add(errors, "status", "The selected status is invalid.")
    if "limit_group_id" in body:
        lg = body["limit_group_id"]
        if lg is not None and (not _is_int(lg) or lg not in state.limit_groups):
            _add(errors, "limit_group_id", "The selected limit group id is invalid.")
    if "billing_user_id" in body:
        bid = body["billing_user_id"]
        if bid is not None and not _is_int(bid):
            _add(errors, "billing_user_id", "The billing user id must be an integer.")
    if "roles" in body:
        if role_ids(body["roles"]) is None:
            _add(errors, "roles", "The selected roles is invalid.")


def role_ids(value: Any) -> list[int] | None:
    """Roles given as ids, names or ``{id}`` objects -> role ids; None when invalid."""
    if not isinstance(value, list):
        return None
    names = {name: rid for rid, name in ROLES.items()}
    out: list[int] = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("id", item.get("name"))
        if _is_int(item) and item in ROLES:
            out.append(item)
        elif isinstance(item, str) and item in names:
            out.append(names[item])
        else:
            return None
    return out


def check_server(state: SimState, body: dict[str, Any], errors: Errors) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        _add(errors, "name", "The name field is required.")
    plan_id = body.get("plan_id")
    if plan_id is None:
        _add(errors, "plan_id", "The plan id field is required.")
    elif not _is_int(plan_id) or plan_id not in state.plans:
        _add(errors, "plan_id", "The selected plan id is invalid.")
    if "user_id" in body:
        uid = body["user_id"]
        if not _is_int(uid) or uid not in state.users:
            _add(errors, "user_id", "The selected user id is invalid.")
    if "additional_ips" in body:
        ips = body["additional_ips"]
        if not _is_int(ips) or ips < 0:
            _add(errors, "additional_ips", "The additional ips must be at least 0.")
