"""Test Connection: what is saved on success, that nothing is saved on failure, and the sentence
the admin reads for each kind of failure. Against the simulator over real HTTP."""

from __future__ import annotations

import socket
import threading
from typing import Iterator

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from hostsim.addon_api import Host as AddonHost
from hostsim.db.models import AddonSetting
from hostsim.host import Host
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.connection import connect, integration_url
from solusio_sim import SimServer


@pytest.fixture
def web_page_site() -> Iterator[str]:
    """Some web site that is not SolusIO: HTML for every path."""
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        return Response("<!doctype html><html><body>Welcome to our shop</body></html>",
                        mimetype="text/html")(environ, start_response)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def nothing_saved(host: AddonHost) -> bool:
    with host.sessions() as s:
        keys = {r.setting for r in s.query(AddonSetting).filter_by(module="solusio")}
    return not keys & {addon_settings.API_URL, addon_settings.API_KEY, addon_settings.INTEGRATION_SECRET}


def test_success_saves_url_key_encrypted_and_configures_integration(addon_host: Host, api: AddonHost,
                                                                   sim: SimServer) -> None:
    result = connect(api, sim.url + "/", sim.admin_token, actor="boss")
    assert result.ok, result.message
    assert result.connected_as == sim.state.ADMIN_EMAIL
    conn = addon_settings.load_connection(api)
    assert conn.url == sim.url and conn.api_key == sim.admin_token and conn.connected
    assert conn.tls_mode == "verify" and conn.verify is True
    assert len(conn.integration_secret) >= 40
    # the key and the secret are encrypted at rest
    with addon_host.sessions() as s:
        rows = {r.setting: r for r in s.query(AddonSetting).filter_by(module="solusio")}
    for key in (addon_settings.API_KEY, addon_settings.INTEGRATION_SECRET):
        assert rows[key].encrypted and rows[key].value.startswith("enc:v1:")
        assert sim.admin_token not in rows[key].value and conn.integration_secret not in rows[key].value
    # SolusIO's billing integration points at this host with the new secret
    assert sim.state.billing_driver() == (integration_url(api), conn.integration_secret)
    assert integration_url(api) == addon_host.config.base_url + "/modules/addons/solusio/api/"


def test_every_connection_rotates_the_secret(api: AddonHost, sim: SimServer) -> None:
    assert connect(api, sim.url, sim.admin_token).ok
    first = addon_settings.load_connection(api).integration_secret
    assert connect(api, sim.url, None).ok  # empty key: the stored one is used again
    second = addon_settings.load_connection(api).integration_secret
    assert first != second
    assert sim.state.billing_driver()[1] == second


@pytest.mark.parametrize("case", ["bad_token", "no_admin", "web_page", "unreachable", "tls", "not_found"])
def test_failures_save_nothing_and_say_why(api: AddonHost, sim: SimServer, web_page_site: str, case: str) -> None:
    url, key, expected = {
        "bad_token": (sim.url, "not-a-token", "The API key was refused"),
        "no_admin": (sim.url, sim.state.create_token(admin=False), "no admin rights"),
        "web_page": (web_page_site, "whatever", "web page, not the SolusIO API"),
        "unreachable": (closed_port_url(), "whatever", "SolusIO cannot be reached"),
        "tls": (sim.url.replace("http://", "https://"), "whatever", "TLS problem"),
        "not_found": (sim.url + "/somewhere", sim.admin_token, "Wrong URL?"),
    }[case]
    result = connect(api, url, key)
    assert not result.ok
    assert expected in result.message, result.message
    assert "Nothing was saved" in result.message
    assert key not in result.message or key == "whatever"
    assert nothing_saved(api)
    assert sim.state.billing_driver() is None


def test_failed_reconnect_keeps_the_working_connection(api: AddonHost, sim: SimServer) -> None:
    assert connect(api, sim.url, sim.admin_token).ok
    before = addon_settings.load_connection(api)
    result = connect(api, sim.url, "wrong-key")
    assert not result.ok
    assert addon_settings.load_connection(api) == before
    assert sim.state.billing_driver()[1] == before.integration_secret


@pytest.mark.parametrize("url,key,tls,bundle,field", [
    ("", "k", "verify", "", "url"),
    ("ftp://solus.example.com", "k", "verify", "", "url"),
    ("https://solus.example.com", "", "verify", "", "api_key"),
    ("https://solus.example.com", "k", "sometimes", "", "tls_mode"),
    ("https://solus.example.com", "k", "ca_bundle", "/no/such/file.pem", "ca_bundle"),
])
def test_input_errors_are_named_before_any_call(api: AddonHost, url: str, key: str, tls: str, bundle: str,
                                                field: str) -> None:
    result = connect(api, url, key, tls_mode=tls, ca_bundle=bundle)
    assert not result.ok and field in result.errors
    assert nothing_saved(api)


def test_self_signed_option_is_stored(api: AddonHost, sim: SimServer) -> None:
    assert connect(api, sim.url, sim.admin_token, tls_mode="self_signed").ok
    assert addon_settings.load_connection(api).verify is False


def test_the_old_secret_stops_working(addon_host: Host, api: AddonHost, sim: SimServer,
                                     live_server) -> None:  # type: ignore[no-untyped-def]
    live_server.serve(addon_host)
    assert connect(api, sim.url, sim.admin_token).ok
    old = addon_settings.load_connection(api).integration_secret
    assert connect(api, sim.url, sim.admin_token).ok
    new = addon_settings.load_connection(api).integration_secret
    prices = live_server.url + "/modules/addons/solusio/api/prices?billing_user_id=1"
    assert requests.get(prices, headers={"Authorization": f"Bearer {old}"}, timeout=10).status_code == 401
    assert requests.get(prices, headers={"Authorization": f"Bearer {new}"}, timeout=10).status_code == 404
