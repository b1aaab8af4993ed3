"""Thread-safe in-memory state of the simulated SolusIO installation (one lock)."""

from __future__ import annotations

import copy
import secrets
import threading
import uuid as uuidlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from . import usage as usage_rules
from .clock import Clock, utc
from .models import ROLES, USER_STATUSES, Interval, Limit, LimitGroup, Plan, Server, Token, User


class NotFound(LookupError):
    """An unknown id; the API answers 404."""


class Refused(ValueError):
    """A request the state refuses (for example a locked user creating a server)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def default_settings() -> dict[str, Any]:
    return {
        "billing_integration": {"type": None, "drivers": {"whmcs": {"url": None, "token": None}}},
        "registration": {"role": "client", "is_enabled": False},
        "mail": {"host": "localhost", "port": 25, "from_email": "noreply@solusio.test"},
        "theme": {"title": "SolusIO", "primary_color": "#28aadc"},
        "compute_resource": {"rescue_iso_url": ""},
    }


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge ``patch`` into ``target`` in place: dicts recursively, anything else replaces."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class SimState:
    """Users, limit groups, plans, servers, settings and tokens of one installation.

    Every public method takes the single lock ``self.lock``; callers that need several
    operations to be atomic may hold it themselves (it is re-entrant).
    """

    ADMIN_EMAIL = "admin@solusio.test"

    def __init__(self, admin_token: str | None = None, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.users: dict[int, User] = {}
        self.users_by_email: dict[str, int] = {}
        self.limit_groups: dict[int, LimitGroup] = {}
        self.plans: dict[int, Plan] = {}
        self.servers: dict[int, Server] = {}
        self.servers_by_user: dict[int, list[int]] = {}
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, int] = {}
        self.settings: dict[str, Any] = default_settings()
        self._next = {"user": 1, "limit_group": 1, "plan": 1, "server": 1, "token": 1}
        admin = self.add_user(self.ADMIN_EMAIL, password=secrets.token_urlsafe(12),
                              role_ids=[1])
        self.admin_user_id = admin.id
        self.admin_token = self.create_token(admin.id, admin=True, token=admin_token)

    # ---------------------------------------------------------------- ids
    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # ---------------------------------------------------------------- limit groups
    def add_limit_group(self, name: str, vms: int = 0, running_vms: int = 0,
                        additional_ips: int = 0) -> LimitGroup:
        """A limit group; a limit of 0 means "not enabled"."""
        with self.lock:
            group = LimitGroup(self._id("limit_group"), name,
                               Limit(vms, vms > 0), Limit(running_vms, running_vms > 0),
                               Limit(additional_ips, additional_ips > 0))
            self.limit_groups[group.id] = group
            return group

    # ---------------------------------------------------------------- plans
    def add_plan(self, name: str, tokens_per_hour: int, tokens_per_month: int,
                 ip_tokens_per_hour: int = 0, ip_tokens_per_month: int = 0) -> Plan:
        with self.lock:
            plan = Plan(self._id("plan"), name, tokens_per_hour, tokens_per_month,
                        ip_tokens_per_hour, ip_tokens_per_month)
            self.plans[plan.id] = plan
            return plan

    def get_plan(self, plan_id: int) -> Plan:
        with self.lock:
            try:
                return self.plans[plan_id]
            except KeyError:
                raise NotFound(f"Plan {plan_id} not found.") from None

    # ---------------------------------------------------------------- users
    def add_user(self, email: str, password: str = "password123", status: str = "active",
                 billing_user_id: int | None = None, limit_group_id: int | None = None,
                 role_ids: list[int] | None = None, created_at: datetime | None = None) -> User:
        """Create a user. Raises ``Refused`` for a duplicate email or an unknown status."""
        if status not in USER_STATUSES:
            raise Refused(f"Unknown status {status!r}.", "status")
        with self.lock:
            key = email.lower()
            if key in self.users_by_email:
                raise Refused("The email has already been taken.", "email")
            if limit_group_id is not None and limit_group_id not in self.limit_groups:
                raise Refused("The selected limit group id is invalid.", "limit_group_id")
            user = User(self._id("user"), email, password, status, billing_user_id,
                        utc(created_at) if created_at else self.clock.now(),
                        list(role_ids or [2]), limit_group_id)
            self.users[user.id] = user
            self.users_by_email[key] = user.id
            self.servers_by_user[user.id] = []
            return user

    def get_user(self, user_id: int) -> User:
        with self.lock:
            try:
                return self.users[user_id]
            except KeyError:
                raise NotFound(f"User {user_id} not found.") from None

    def find_user_by_email(self, email: str) -> User | None:
        with self.lock:
            user_id = self.users_by_email.get(email.lower())
            return self.users[user_id] if user_id is not None else None

    def search_users(self, search: str | None = None) -> list[User]:
        """All users by id; ``search`` is a case-insensitive substring of the email."""
        with self.lock:
            users = list(self.users.values())
        if not search:
            return users
        needle = search.lower()
        return [u for u in users if needle in u.email.lower()]

    def update_user(self, user_id: int, **fields: Any) -> User:
        """Change email, password, status, billing_user_id, limit_group_id or role_ids."""
        with self.lock:
            user = self.get_user(user_id)
            if "email" in fields and fields["email"].lower() != user.email.lower():
                key = fields["email"].lower()
                if key in self.users_by_email:
                    raise Refused("The email has already been taken.", "email")
                del self.users_by_email[user.email.lower()]
                self.users_by_email[key] = user.id
            if "email" in fields:
                user.email = fields["email"]
            if "limit_group_id" in fields:
                lg = fields["limit_group_id"]
                if lg is not None and lg not in self.limit_groups:
                    raise Refused("The selected limit group id is invalid.", "limit_group_id")
                user.limit_group_id = lg
            for name in ("password", "billing_user_id", "role_ids"):
                if name in fields:
                    setattr(user, name, fields[name])
            if "status" in fields:
                self.set_user_status(user_id, fields["status"])
            return user

    def set_user_status(self, user_id: int, status: str, at: datetime | None = None) -> User:
        """``suspended`` stops every running server of the user and marks it suspended;
        leaving ``suspended`` clears ``is_suspended`` (servers stay stopped)."""
        if status not in USER_STATUSES:
            raise Refused(f"Unknown status {status!r}.", "status")
        with self.lock:
            user = self.get_user(user_id)
            when = utc(at) if at else self.clock.now()
            for server in self.user_servers(user_id):
                if status == "suspended":
                    self._stop(server, when)
                    server.is_suspended = True
                else:
                    server.is_suspended = False
            user.status = status
            return user

    def delete_user(self, user_id: int, at: datetime | None = None) -> None:
        """Remove the user; its servers are deleted (and keep their usage history)."""
        with self.lock:
            user = self.get_user(user_id)
            when = utc(at) if at else self.clock.now()
            for server in self.user_servers(user_id):
                self.delete_server(server.id, at=when)
            del self.users[user_id]
            self.users_by_email.pop(user.email.lower(), None)
            for tok in [t for t in self.tokens.values() if t.user_id == user_id]:
                del self.tokens[tok.token]

    # ---------------------------------------------------------------- servers
    def add_server(self, user_id: int, plan_id: int, name: str | None = None,
                   created_at: datetime | None = None, started: bool = True,
                   additional_ips: int = 0, enforce_status: bool = False,
                   uuid: str | None = None) -> Server:
        """Create a server (running from ``created_at`` when ``started``).

        With ``enforce_status`` a locked or suspended user is refused, as the API does.
        """
        with self.lock:
            user = self.get_user(user_id)
            if plan_id not in self.plans:
                raise Refused("The selected plan id is invalid.", "plan_id")
            if enforce_status and user.status != "active":
                raise Refused(f"The user is {user.status} and cannot create servers.",
                              "user_id")
            when = utc(created_at) if created_at else self.clock.now()
            sid = self._id("server")
            server = Server(sid, uuid or str(uuidlib.uuid4()), name or f"server-{sid}",
                            "started" if started else "stopped", user.status == "suspended",
                            when, None, plan_id, user_id, additional_ips,
                            [Interval(when)] if started else [])
            self.servers[sid] = server
            self.servers_by_user.setdefault(user_id, []).append(sid)
            return server

    def get_server(self, server_id: int, include_deleted: bool = False) -> Server:
        with self.lock:
            server = self.servers.get(server_id)
            if server is None or (server.deleted_at is not None and not include_deleted):
                raise NotFound(f"Server {server_id} not found.")
            return server

    def user_servers(self, user_id: int, include_deleted: bool = False) -> list[Server]:
        with self.lock:
            found = (self.servers[sid] for sid in self.servers_by_user.get(user_id, ()))
            return [s for s in found if include_deleted or s.deleted_at is None]

    def list_servers(self, user_id: int | None = None) -> list[Server]:
        with self.lock:
            if user_id is not None:
                return self.user_servers(user_id)
            return [s for s in self.servers.values() if s.deleted_at is None]

    def _stop(self, server: Server, when: datetime) -> None:
        if server.intervals and server.intervals[-1].stop is None:
            server.intervals[-1].stop = max(when, server.intervals[-1].start)
        server.status = "stopped"

    def start_server(self, server_id: int, at: datetime | None = None) -> Server:
        with self.lock:
            server = self.get_server(server_id)
            if server.is_suspended:
                raise Refused("The server is suspended.", "status")
            if server.status != "started":
                server.intervals.append(Interval(utc(at) if at else self.clock.now()))
                server.status = "started"
            return server

    def stop_server(self, server_id: int, at: datetime | None = None) -> Server:
        with self.lock:
            server = self.get_server(server_id)
            self._stop(server, utc(at) if at else self.clock.now())
            return server

    def delete_server(self, server_id: int, at: datetime | None = None) -> Server:
        with self.lock:
            server = self.get_server(server_id)
            when = utc(at) if at else self.clock.now()
            self._stop(server, when)
            server.deleted_at = when
            return server

    # ---------------------------------------------------------------- usage
    def usage(self, user_id: int, start: datetime, end: datetime) -> dict[str, Any]:
        """Usage of one user over ``[start, end)`` (see ``solusio_sim.usage``)."""
        with self.lock:
            self.get_user(user_id)
            servers = self.user_servers(user_id, include_deleted=True)
            return usage_rules.user_usage(user_id, servers, self.plans, utc(start), utc(end),
                                          self.clock.now())

    # ---------------------------------------------------------------- tokens / sessions
    def create_token(self, user_id: int | None = None, admin: bool = False,
                     one_time: bool = False, token: str | None = None) -> str:
        """A bearer token. ``user_id=None``: the admin user when ``admin``, otherwise a new
        client user ``token-user-N@solusio.test`` is created to own it."""
        with self.lock:
            if user_id is None:
                if admin:
                    user_id = self.admin_user_id
                else:
                    n = self._next["user"]
                    user_id = self.add_user(f"token-user-{n}@solusio.test").id
            self.get_user(user_id)
            value = token or secrets.token_urlsafe(32)
            self.tokens[value] = Token(value, user_id, admin, one_time, False,
                                       self._id("token"), self.clock.now())
            return value

    def authenticate(self, token: str) -> Token | None:
        """The API token, or None (unknown, or a one-time login token)."""
        with self.lock:
            found = self.tokens.get(token)
            if found is None or found.is_one_time:
                return None
            return found

    def consume_one_time_token(self, token: str) -> User | None:
        """Use a one-time login token; it works exactly once."""
        with self.lock:
            found = self.tokens.get(token)
            if found is None or not found.is_one_time or found.used:
                return None
            found.used = True
            user = self.users.get(found.user_id)
            if user is None:
                return None
            return user

    def open_session(self, user_id: int) -> str:
        with self.lock:
            sid = secrets.token_urlsafe(24)
            self.sessions[sid] = user_id
            return sid

    # ---------------------------------------------------------------- settings
    def get_settings(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.settings)

    def patch_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            deep_merge(self.settings, patch)
            return copy.deepcopy(self.settings)

    def billing_driver(self) -> tuple[str, str] | None:
        """(url, token) of the WHMCS billing integration when both are set."""
        with self.lock:
            whmcs = (self.settings.get("billing_integration") or {}).get("drivers", {}) \
                .get("whmcs") or {}
            url, token = whmcs.get("url"), whmcs.get("token")
            if isinstance(url, str) and url and isinstance(token, str) and token:
                return url, token
            return None

    # ---------------------------------------------------------------- misc
    def role_objects(self, role_ids: Iterable[int]) -> list[dict[str, Any]]:
        return [{"id": rid, "name": ROLES.get(rid, f"role-{rid}")} for rid in role_ids]

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"users": len(self.users), "servers": len(self.servers),
                    "plans": len(self.plans), "limit_groups": len(self.limit_groups)}
