"""Web security: CSRF, login throttling, safe redirects and the client address behind proxies.

Sessions (revocable, server-side, rotated on login) are in ``hostsim.web.sessions``; the
throttle's atomic counting is in ``hostsim.services.throttle``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from hostsim.services.throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW, LoginThrottle, Reservation
from hostsim.web.sessions import ADMIN_KEY, AREA_KEYS, CLIENT_KEY, end_session, start_session

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The one CSRF guard of the web application; every POST carries ``csrf_token``.
csrf = CSRFProtect()

#: Kept for callers of the former names: the account limit is the old per-key limit.
MAX_FAILURES = ACCOUNT_LIMIT

BP = TypeVar("BP", bound=Blueprint)


def csrf_exempt_blueprint(bp: BP) -> BP:
    """Mark an addon blueprint as a Bearer-token JSON API: the host mounts it without CSRF.

    Only for routes that authenticate every request by a token in a header; a cookie-session
    form must keep CSRF protection.
    """
    bp.csrf_exempt = True  # type: ignore[attr-defined]
    return bp


def safe_next(target: str | None, default: str) -> str:
    """A redirect target on this site only (a path, never ``//host`` or a scheme), with no
    control characters (a CR or LF would break the Location header)."""
    if not target:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def throttle_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed logins; try again in {minutes} {unit}."


def auth_marker(password_hash: str) -> str:
    """A short digest of the stored password hash kept with a login: a password change ends
    every login made with the old password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """IP addresses and CIDR networks (``10.0.0.5``, ``10.0.0.0/8``, ``::1``); ValueError names a bad one."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry.strip()!r} is not an IP address or network") from None
    return networks


class TrustedProxyFix:
    """WSGI middleware: the client's address comes from ``X-Forwarded-For`` only when the peer
    is a trusted proxy (``HOSTSIM_TRUSTED_PROXIES``); anyone else's header is ignored.

    Werkzeug's ProxyFix does the rewriting, applied per request: walking the header from the
    right, trusted proxies of our own are skipped and the first other address is the client's.
    Only the address is taken (not the scheme, host or prefix).
    """

    def __init__(self, app: "WSGIApplication", trusted: Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(trusted)
        self._fixes: dict[int, ProxyFix] = {}

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in net for net in self.networks if net.version == ip.version)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        if self.networks and self.is_trusted(environ.get("REMOTE_ADDR", "")):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            depth = 1
            while depth < len(hops) and self.is_trusted(hops[-depth]):
                depth += 1
            if hops and _is_ip(hops[-depth]):
                fix = self._fixes.get(depth)
                if fix is None:
                    fix = self._fixes[depth] = ProxyFix(self.app, x_for=depth, x_proto=0, x_host=0, x_port=0, x_prefix=0)
                return fix(environ, start_response)
        return self.app(environ, start_response)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


__all__ = ["ACCOUNT_LIMIT", "ADDRESS_LIMIT", "ADMIN_KEY", "AREA_KEYS", "CLIENT_KEY", "MAX_FAILURES", "WINDOW",
           "LoginThrottle", "Reservation", "TrustedProxyFix", "auth_marker", "csrf", "csrf_exempt_blueprint",
           "end_session", "parse_networks", "safe_next", "start_session", "throttle_message"]
