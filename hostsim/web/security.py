"""Web security: CSRF, session logins without fixation, login throttling, safe redirects."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, session
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import delete, select

from hostsim.db.models import LoginFailure

if TYPE_CHECKING:
    from hostsim.host import Host

#: The one CSRF guard of the web application; every POST carries ``csrf_token``.
csrf = CSRFProtect()

ADMIN_KEY = "admin_id"
CLIENT_KEY = "client_id"
#: Session keys that belong to one area's login; logging into one area keeps the other's.
AREA_KEYS: dict[str, tuple[str, ...]] = {"admin": (ADMIN_KEY, "admin_auth"), "client": (CLIENT_KEY, "client_auth")}

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)

BP = TypeVar("BP", bound=Blueprint)


def csrf_exempt_blueprint(bp: BP) -> BP:
    """Mark an addon blueprint as a Bearer-token JSON API: the host mounts it without CSRF.

    Only for routes that authenticate every request by a token in a header; a cookie-session
    form must keep CSRF protection.
    """
    bp.csrf_exempt = True  # type: ignore[attr-defined]
    return bp


def start_session(area: str, values: dict[str, object]) -> None:
    """Log into ``area``: a fresh session (no fixation), keeping only the other area's login."""
    other = [k for a, keys in AREA_KEYS.items() if a != area for k in keys]
    kept = {k: session[k] for k in other if k in session}
    session.clear()
    session.update(kept)
    session.update(values)
    session.permanent = False


def end_session(area: str) -> None:
    """Log out of ``area``; the other area's login survives, everything else is dropped."""
    other = [k for a, keys in AREA_KEYS.items() if a != area for k in keys]
    kept = {k: session[k] for k in other if k in session}
    session.clear()
    session.update(kept)


def safe_next(target: str | None, default: str) -> str:
    """A redirect target on this site only (a path, never ``//host`` or a scheme)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class LoginThrottle:
    """At most ``MAX_FAILURES`` failed logins per username and per address within ``WINDOW``."""

    def __init__(self, host: Host, area: str) -> None:
        self.host = host
        self.area = area

    def _keys(self, username: str, ip: str) -> list[str]:
        return [f"{self.area}:user:{(username or '').strip().lower()}"[:300], f"{self.area}:ip:{ip or '?'}"[:300]]

    def wait_minutes(self, username: str, ip: str) -> int:
        """Minutes until another attempt is allowed; 0 when allowed now."""
        now = self.host.clock.now()
        longest = 0
        with self.host.sessions() as s:
            for key in self._keys(username, ip):
                times = list(s.scalars(select(LoginFailure.at).where(LoginFailure.key == key,
                                                                      LoginFailure.at > now - WINDOW)
                                       .order_by(LoginFailure.at.desc()).limit(MAX_FAILURES)))
                if len(times) >= MAX_FAILURES:
                    # Allowed again once the oldest of the last MAX_FAILURES leaves the window.
                    remaining = (times[-1] + WINDOW - now).total_seconds()
                    longest = max(longest, max(1, math.ceil(remaining / 60)))
        return longest

    def record_failure(self, username: str, ip: str) -> None:
        now = self.host.clock.now()
        with self.host.transaction() as s:
            s.add_all(LoginFailure(key=key, at=now) for key in self._keys(username, ip))
            # Old failures no longer count for anything.
            s.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))

    def clear_user(self, username: str) -> None:
        """A successful login forgets the username's failures (the address's stay)."""
        with self.host.transaction() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key == self._keys(username, "")[0]))


def throttle_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed logins; try again in {minutes} {unit}."


def auth_marker(password_hash: str) -> str:
    """A short digest of the stored password hash kept in the session: a password change ends
    every other session of that account."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]
