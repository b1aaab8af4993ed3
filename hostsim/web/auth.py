"""Logins of both areas (with throttling) and the decorators that guard views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, flash, g, redirect, request, url_for
from sqlalchemy import select

from hostsim.db.models import Admin, Client
from hostsim.services import clients as client_service
from hostsim.services.passwords import hash_password, password_problem, verify_password
from hostsim.web.context import DISABLED_STATUSES, current_admin, current_client, get_host
from hostsim.web.security import LoginThrottle, auth_marker, end_session, throttle_message
from hostsim.web.sessions import start_session

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
    """The client's address: the peer's, or from ``X-Forwarded-For`` when the peer is a trusted
    proxy (``hostsim.web.security.TrustedProxyFix`` has rewritten it then)."""
    return request.remote_addr or ""


def login_admin(username: str, password: str) -> LoginResult:
    host = get_host()
    ip = client_ip()
    throttle = LoginThrottle(host, "admin")
    # The attempt is counted before the password is checked: concurrent guesses cannot
    # overtake the count (hostsim.services.throttle).
    reservation = throttle.reserve(username, ip)
    if not reservation.allowed:
        return LoginResult(False, throttle_message(reservation.wait_minutes), throttled=True)
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
        return LoginResult(False, BAD_ADMIN_LOGIN)
    throttle.succeeded(reservation)
    start_session("admin", admin_id, marker)
    return LoginResult(True)


def login_client(email: str, password: str) -> LoginResult:
    host = get_host()
    ip = client_ip()
    throttle = LoginThrottle(host, "client")
    reservation = throttle.reserve(email, ip)
    if not reservation.allowed:
        return LoginResult(False, throttle_message(reservation.wait_minutes), throttled=True)
    with host.sessions() as s:
        client = client_service.authenticate(s, email or "", password or "")
    if client is None or client.status in DISABLED_STATUSES:
        return LoginResult(False, BAD_CLIENT_LOGIN)
    throttle.succeeded(reservation)
    sign_in_client(client)
    return LoginResult(True)


def sign_in_client(client: Client) -> None:
    start_session("client", client.id, auth_marker(client.password_hash))
    # Who is logged in was loaded once for this request (as nobody): a page rendered after the
    # sign-in, its navbar included, must see the new client.
    g.pop("_client", None)
    g.pop("_impersonator", None)


def sign_in_admin(admin: Admin) -> None:
    start_session("admin", admin.id, auth_marker(admin.password_hash))
    g.pop("_admin", None)


def check_password_change(throttle: LoginThrottle, username: str, password_hash: str, *,
                          personal: tuple[str, ...]) -> tuple[str, str] | None:
    """Check a password-change form (``current_password``, ``new_password``, ``confirm_password``):
    the field and message of its first problem, or None when the change may go ahead.

    The current password is checked like a login, throttled per account and address, so a
    stolen session cannot be used to guess it.
    """
    form = request.form
    current, new = form.get("current_password", ""), form.get("new_password", "")
    reservation = throttle.reserve(username, client_ip())
    if not reservation.allowed:
        return "current_password", throttle_message(reservation.wait_minutes)
    if not verify_password(password_hash, current):
        return "current_password", "is not your current password"
    throttle.succeeded(reservation)
    problem = password_problem(new, field="new_password", personal=personal)
    if problem is not None:
        return "new_password", problem.split(": ", 1)[1]
    if new == current:
        return "new_password", "must differ from the current password"
    if form.get("confirm_password", "") != new:
        return "confirm_password", "does not match the new password"
    return None


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


def log_out_everywhere(area: str, user_id: int, who: str, actor: str, *, admin_id: int | None = None,
                       client_id: int | None = None) -> None:
    """"Log out all sessions": end every session of the account (this one too), logged, with the
    message the next page shows."""
    from hostsim.services.sessions import revoke

    host = get_host()
    ended = revoke(host, area, user_id)
    host.activity.log(f"{who} logged out all sessions ({ended})", actor=actor, ip=client_ip(), admin_id=admin_id,
                      client_id=client_id)
    end_session(area)
    flash("Every session of your account was logged out.", "info")
