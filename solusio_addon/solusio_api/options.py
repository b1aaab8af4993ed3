"""Every tunable of the SolusIO client, defined once.

``SolusioClient(url, key, retries=2, proxy=...)`` and ``SolusioClient(url, key, ClientOptions(...))``
are the same thing: keyword arguments of the client are the fields of ``ClientOptions``.
The options are frozen so that one value can be shared by threads and pickled (``session`` and
``sleep`` excepted: see their comments).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from .errors import SolusioConfigError

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@`` (proxy URLs carry credentials)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def _check_proxy(proxy: str) -> None:
    shown = redact_url(proxy)
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise SolusioConfigError(f"The proxy {shown!r} is not a valid URL.") from None
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise SolusioConfigError(f"The proxy {shown!r} must be a URL such as http://proxy.example.com:3128.")


@dataclass(frozen=True)
class ClientOptions:
    """How the client connects, times out and retries. Numbers are clamped to sane ranges.

    ``verify``: True (check certificates; ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the
    environment name the CA bundle when set), False (trust a self-signed certificate), or the
    path of a CA bundle. ``proxy``: None uses ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` from the
    environment; a URL sends every call through that proxy (the environment is ignored); ""
    connects directly whatever the environment says. The environment is read once, when the
    client is built. ``retries``/``backoff``/``backoff_max``/``max_retry_after``: see ``retry``.
    """

    verify: bool | str = True
    connect_timeout: float = 5.0
    read_timeout: float = 35.0
    retries: int = 5
    backoff: float = 0.5
    backoff_max: float = 10.0
    max_retry_after: float = 30.0
    pool_maxsize: int = 32
    proxy: str | None = None
    # A session to send with (tests wrap ``send``); the client configures it. Not pickled.
    session: requests.Session | None = field(default=None, compare=False)
    # Every wait of the retry policy goes through this, so tests can record the waits.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def __post_init__(self) -> None:
        verify = self.verify
        if isinstance(verify, str):
            if not os.path.exists(verify):
                raise SolusioConfigError(f"The CA bundle file {verify!r} does not exist: "
                                         "give the path of a PEM file, or turn certificate checking back on.")
        elif not isinstance(verify, bool):
            raise SolusioConfigError("The certificate setting must be on, off, or the path of a CA bundle.")
        if self.proxy is not None:
            if not isinstance(self.proxy, str):
                raise SolusioConfigError("The proxy must be a URL, \"\" for none, or None to use the environment.")
            proxy = self.proxy.strip()
            if proxy:
                _check_proxy(proxy)
            object.__setattr__(self, "proxy", proxy)
        clamped = {
            "connect_timeout": max(0.001, float(self.connect_timeout)),
            "read_timeout": max(0.001, float(self.read_timeout)),
            "retries": max(0, int(self.retries)),
            "backoff": max(0.0, float(self.backoff)),
            "backoff_max": max(0.0, float(self.backoff_max)),
            "max_retry_after": max(0.0, float(self.max_retry_after)),
            "pool_maxsize": max(1, int(self.pool_maxsize)),
        }
        for name, value in clamped.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        # The proxy URL may hold a password; the session and the sleep function say nothing useful.
        shown: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("session", "sleep")}
        if shown["proxy"]:
            shown["proxy"] = redact_url(shown["proxy"])
        return "ClientOptions(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


__all__ = ["ClientOptions", "redact_url"]
