"""Where the host keeps its instance: folder, database URL, secret key, public base URL, and the
reverse proxies whose ``X-Forwarded-For`` it believes."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostConfig:
    home: Path
    database_url: str
    base_url: str
    #: Addresses or CIDR networks of reverse proxies in front of the web app; only a request from
    #: one of them has its client address taken from ``X-Forwarded-For``.
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, home: str | Path | None = None, database_url: str | None = None) -> "HostConfig":
        home_path = Path(home or os.environ.get("HOSTSIM_HOME", "instance")).resolve()
        url = database_url or os.environ.get("HOSTSIM_DATABASE_URL") or f"sqlite:///{home_path / 'hostsim.sqlite3'}"
        base = os.environ.get("HOSTSIM_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
        return cls(home=home_path, database_url=url, base_url=base,
                   trusted_proxies=parse_trusted_proxies(os.environ.get("HOSTSIM_TRUSTED_PROXIES", "")))

    @property
    def secret_key_path(self) -> Path:
        return self.home / "secret.key"

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    def secret_key(self) -> bytes:
        """The instance's master secret (sessions, signed links, encryption at rest).

        ``HOSTSIM_SECRET_KEY`` wins (for several web workers on one database); otherwise a
        random key is created once in the instance folder with owner-only permissions.
        """
        env = os.environ.get("HOSTSIM_SECRET_KEY")
        if env:
            return env.encode()
        path = self.secret_key_path
        if not path.exists():
            self.ensure_home()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """``HOSTSIM_TRUSTED_PROXIES``: comma-separated IP addresses or CIDR networks, normalised
    (``10.0.0.0/8``); a bad entry is refused at start rather than silently trusting nobody."""
    entries: list[str] = []
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        try:
            entries.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValueError(f"HOSTSIM_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(entries)
