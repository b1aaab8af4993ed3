"""Logins of both areas (with throttling) and the decorators that guard views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, redirect, request, url_for
from sqlalchemy import select

from hostsim.db.models import Admin, Client
from hostsim.services import clients as client_service
from hostsim.services.passwords import hash_password, verify_password
from hostsim.web.context import current_admin, current_client, get_host
from hostsim.web.security import (
    ADMIN_KEY,
    CLIENT_KEY,
    LoginThrottle,
    auth_marker,
    start_session,
    throttle_message,
)

P = ParamSpec("P")
R = TypeVar("R")

FULL_ADMIN_ROLE = "Full Administrator"
BAD_ADMIN_LOGIN = "Login failed: the username or password is wrong."
BAD_CLIENT_LOGIN = "Login failed: the email address or password is wrong."
# Verifying against a real hash keeps the response time the same for unknown usernames.
_DUMMY_HASH = hash_password("not-a-real-password-Aa1!")


@dataclass
class LoginResult:
    ok: bool
    message: str = ""
    throttled: bool = False


def client_ip() -> str:
    return request.remote_addr or ""


def login_admin(username: str, password: str) -> LoginResult:
    host = get_host()
    ip = client_ip()
    throttle = LoginThrottle(host, "admin")
    wait = throttle.wait_minutes(username, ip)
    if wait:
        return LoginResult(False, throttle_message(wait), throttled=True)
    with host.transaction() as s:
        admin = s.scalars(select(Admin).where(Admin.username == (username or "").strip())).first()
        valid = admin is not None and admin.is_active and verify_password(admin.password_hash, password or "")
        if admin is None:
            verify_password(_DUMMY_HASH, password or "")
        if valid and admin is not None:
            admin.last_login_at = host.clock.now()
            host.activity.log(f"Admin {admin.username} logged in", actor=admin.username, admin_id=admin.id,
                              ip=ip, session=s)
            admin_id, marker = admin.id, auth_marker(admin.password_hash)
    if not valid:
        throttle.record_failure(username, ip)
        return LoginResult(False, BAD_ADMIN_LOGIN)
    throttle.clear_user(username)
    start_session("admin", {ADMIN_KEY: admin_id, "admin_auth": marker})
    return LoginResult(True)


def login_client(email: str, password: str) -> LoginResult:
    host = get_host()
    ip = client_ip()
    throttle = LoginThrottle(host, "client")
    wait = throttle.wait_minutes(email, ip)
    if wait:
        return LoginResult(False, throttle_message(wait), throttled=True)
    with host.sessions() as s:
        client = client_service.authenticate(s, email or "", password or "")
    if client is None:
        throttle.record_failure(email, ip)
        return LoginResult(False, BAD_CLIENT_LOGIN)
    throttle.clear_user(email)
    sign_in_client(client)
    return LoginResult(True)


def sign_in_client(client: Client) -> None:
    start_session("client", {CLIENT_KEY: client.id, "client_auth": auth_marker(client.password_hash)})


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_admin() is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
        return view(*args, **kwargs)
    return wrapper


def full_admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """System configuration (Addon Modules, General Settings) is for Full Administrators."""
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        admin = current_admin()
        if admin is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
        if admin.role.name != FULL_ADMIN_ROLE:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def client_required(view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_client() is None:
            return redirect(url_for("client.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
        return view(*args, **kwargs)
    return wrapper
