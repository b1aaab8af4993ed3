"""Connect to SolusIO: Test Connection, then (re)configure the billing integration.

``connect`` is what both the connect page, the API Connection panel and ``hostsim solusio
connect`` run. On success the URL, key, TLS and proxy options and a FRESH integration secret are saved
together; on any failure nothing is saved and the result carries a sentence for the admin.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import build_client
from solusio_addon.solusio_api import (
    SolusioAuthError,
    SolusioBadResponse,
    SolusioConfigError,
    SolusioConnectionError,
    SolusioError,
    SolusioNotFound,
    SolusioPermissionError,
    SolusioTimeout,
    SolusioTLSError,
)

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)

#: Where SolusIO reaches this host (contract: "The other direction").
INTEGRATION_PATH = "/modules/addons/solusio/api/"


@dataclass
class ConnectResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)  # form field -> sentence (input problems)
    connected_as: str = ""


def integration_url(host: "Host") -> str:
    return host.base_url + INTEGRATION_PATH


def describe_error(exc: SolusioError) -> str:
    """One sentence for the admin, starting with what kind of problem it is."""
    if isinstance(exc, SolusioAuthError):
        return f"The API key was refused: {exc.message}"
    if isinstance(exc, SolusioPermissionError):
        return f"The API key has no admin rights: {exc.message}"
    if isinstance(exc, SolusioTLSError):
        return f"TLS problem: {exc.message}"
    if isinstance(exc, (SolusioConnectionError, SolusioTimeout)):
        return f"SolusIO cannot be reached: {exc.message}"
    if isinstance(exc, SolusioBadResponse):
        return f"Wrong URL? {exc.message}"
    if isinstance(exc, SolusioNotFound):
        return ("Wrong URL? The server answered, but the SolusIO API is not there (404). "
                "Enter the URL you use for SolusIO's web interface.")
    if isinstance(exc, SolusioConfigError):
        return exc.message
    return f"SolusIO answered with an error: {exc.message}"


def connect(host: "Host", url: str, api_key: str | None, *, tls_mode: str = "verify", ca_bundle: str = "",
            login_url_template: str = "", proxy_mode: str | None = None, proxy_url: str | None = None,
            actor: str = "System") -> ConnectResult:
    """Test the connection and, only when it works, configure SolusIO's billing integration with a
    fresh secret and save everything. ``api_key`` empty reuses the stored key. ``proxy_mode``
    (environment, direct or custom with ``proxy_url``) None keeps the stored proxy setting; the
    test goes through the proxy being saved."""
    stored = addon_settings.load_connection(host)
    candidate, errors = addon_settings.validate_connection_input(
        url, api_key, tls_mode=tls_mode, ca_bundle=ca_bundle, login_url_template=login_url_template, stored=stored,
        proxy_mode=proxy_mode, proxy_url=proxy_url)
    if candidate is None:
        return ConnectResult(False, "Nothing was saved: " + "; ".join(errors.values()), errors)
    secret = secrets.token_urlsafe(32)
    target = integration_url(host)
    try:
        with build_client(candidate, interactive=True) as client:
            check = client.test_connection()
            client.configure_billing_integration(target, secret)
    except SolusioError as exc:
        message = describe_error(exc)
        log.info("SolusIO connection test to %s failed: %s", candidate.url, message)
        host.activity.log(f"Addon solusio: Test Connection to {candidate.url} failed", actor=actor)
        return ConnectResult(False, message + " Nothing was saved.")
    now = host.clock.now().isoformat(timespec="seconds")
    final = addon_settings.ConnectionSettings(
        url=candidate.url, api_key=candidate.api_key, tls_mode=candidate.tls_mode, ca_bundle=candidate.ca_bundle,
        login_url_template=candidate.login_url_template, proxy_mode=candidate.proxy_mode,
        proxy_url=candidate.proxy_url, integration_secret=secret, integration_url=target,
        connected_at=now, connected_as=check.user.email)
    addon_settings.save_connection(host, final, actor=actor)
    host.activity.log(f"Addon solusio: connected to SolusIO at {final.url} as {check.user.email}; "
                      "billing integration configured with a new secret", actor=actor)
    return ConnectResult(True, f"Connected to SolusIO at {final.url} as {check.user.email}. "
                               "The billing integration was configured with a new secret.",
                         connected_as=check.user.email)
