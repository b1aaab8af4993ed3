"""A SolusIO API client built from the stored connection settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from solusio_addon.admin import settings as addon_settings
from solusio_addon.solusio_api import SolusioClient

if TYPE_CHECKING:
    from hostsim.addon_api import Host

#: An admin is waiting for the answer: fail fast instead of the cron's patient retries.
INTERACTIVE: dict[str, Any] = {"retries": 1, "backoff": 0.2, "connect_timeout": 5.0, "read_timeout": 15.0}


class NotConnected(RuntimeError):
    """The addon has no stored connection to SolusIO yet."""

    def __init__(self) -> None:
        super().__init__("SolusIO is not connected yet: enter the installation URL and API key and "
                         "click Test Connection (or run 'hostsim solusio connect').")


def build_client(conn: addon_settings.ConnectionSettings, *, interactive: bool = True) -> SolusioClient:
    """A client for ``conn`` (stored or just typed), through the proxy it names (``conn.proxy``: the
    environment's proxy variables, none, or a URL). Raises ``SolusioConfigError`` for unusable input."""
    options: dict[str, Any] = INTERACTIVE if interactive else {}
    return SolusioClient(conn.url, conn.api_key, verify=conn.verify, proxy=conn.proxy, **options)


def client_from_settings(host: "Host", *, interactive: bool = False) -> SolusioClient:
    conn = addon_settings.load_connection(host)
    if not conn.connected:
        raise NotConnected()
    return build_client(conn, interactive=interactive)
