"""The egress proxy setting (Advanced): environment, direct or a proxy URL, over real HTTP.

A forwarding HTTP proxy on loopback counts what passes through it; the simulator is plain http
on loopback, so ``HTTP_PROXY`` is the variable that applies (and ``NO_PROXY`` is cleared).
"""

from __future__ import annotations

import base64
import logging
from typing import Iterator

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.cli import main
from hostsim.db.models import ActivityLog, AddonSetting
from hostsim.host import Host
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin import urls
from solusio_addon.admin.client_factory import client_from_settings
from solusio_addon.admin.connection import connect
from solusio_sim import SimServer
from tests.loopback_proxy import ForwardingProxy, clear_proxy_env, closed_port, running

from .conftest import PAGE, page_csrf

PASSWORD = "pr0xy-S3CRET"
MASK = urls.PROXY_PASSWORD_MASK
class _Proxy(ForwardingProxy):
    @property
    def url_with_password(self) -> str:
        return self.url.replace("http://", f"http://alice:{PASSWORD}@")

    @property
    def masked_url(self) -> str:
        return self.url.replace("http://", f"http://alice:{MASK}@")


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    with running(_Proxy()) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_env(monkeypatch)


def dead_proxy() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def stored_rows(host: Host) -> dict[str, AddonSetting]:
    with host.sessions() as s:
        return {r.setting: r for r in s.scalars(select(AddonSetting).where(AddonSetting.module == "solusio"))}


def activity(host: Host) -> str:
    with host.sessions() as s:
        return "\n".join(s.scalars(select(ActivityLog.description)))


def run(host: Host, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["solusio", *args], obj=host, env=env)


# --- through the admin function ---------------------------------------------------------------


def test_custom_proxy_carries_test_connection_and_is_stored_encrypted(
        addon_host: Host, api: AddonHost, sim: SimServer, proxy: _Proxy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = connect(api, sim.url, sim.admin_token, proxy_mode="custom", proxy_url=proxy.url_with_password, actor="boss")
    assert result.ok, result.message
    # every call of Test Connection and the billing integration went through the proxy, with its credentials
    assert len(proxy.seen) > 0 and len(proxy.seen) == len(sim.requests)
    assert all(path.startswith(sim.url + "/api/v1/") for _m, path, _a in proxy.seen)
    expected_auth = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert {auth for _m, _p, auth in proxy.seen} == {expected_auth}

    conn = addon_settings.load_connection(api)
    assert (conn.proxy_mode, conn.proxy_url, conn.proxy) == ("custom", proxy.url_with_password, proxy.url_with_password)
    assert conn.proxy_shown == proxy.masked_url
    rows = stored_rows(addon_host)
    row = rows[addon_settings.PROXY_URL]
    assert row.encrypted and row.value.startswith("enc:v1:") and PASSWORD not in row.value
    assert rows[addon_settings.PROXY_MODE].value == "custom"

    # the stored setting is what every later client uses
    before = len(proxy.seen)
    with client_from_settings(api, interactive=True) as client:
        client.test_connection()
    assert len(proxy.seen) > before

    shown = result.message + activity(addon_host) + caplog.text + repr(conn)
    assert PASSWORD not in shown
    assert "setting proxy_url changed" in activity(addon_host)


def test_a_dead_custom_proxy_saves_nothing_and_hides_its_password(addon_host: Host, api: AddonHost, sim: SimServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    dead = dead_proxy().replace("http://", f"http://alice:{PASSWORD}@")
    result = connect(api, sim.url, sim.admin_token, proxy_mode="custom", proxy_url=dead)
    assert not result.ok and "cannot be reached" in result.message and "Nothing was saved" in result.message
    assert sim.requests == [] and not stored_rows(addon_host).keys() & {addon_settings.API_URL, addon_settings.PROXY_URL}
    assert PASSWORD not in result.message + caplog.text + activity(addon_host)


def test_direct_ignores_the_environment(api: AddonHost, sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = dead_proxy()
    monkeypatch.setenv("HTTPS_PROXY", dead)
    monkeypatch.setenv("HTTP_PROXY", dead)
    # the environment's proxy is dead: in environment mode nothing can be reached (and nothing is saved)
    refused = connect(api, sim.url, sim.admin_token, proxy_mode="environment")
    assert not refused.ok and "cannot be reached" in refused.message
    assert not addon_settings.load_connection(api).connected
    result = connect(api, sim.url, sim.admin_token, proxy_mode="direct")
    assert result.ok, result.message
    conn = addon_settings.load_connection(api)
    assert (conn.proxy_mode, conn.proxy_url, conn.proxy) == ("direct", "", "")
    with client_from_settings(api, interactive=True) as client:
        assert client.test_connection().user.email == sim.state.ADMIN_EMAIL


def test_environment_mode_uses_the_proxy_variables(api: AddonHost, sim: SimServer, proxy: _Proxy,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    result = connect(api, sim.url, sim.admin_token)  # environment is the default
    assert result.ok, result.message
    assert len(proxy.seen) > 0 and len(proxy.seen) == len(sim.requests)
    conn = addon_settings.load_connection(api)
    assert (conn.proxy_mode, conn.proxy_url, conn.proxy) == ("environment", "", None)


def test_without_a_proxy_argument_the_saved_setting_is_kept(api: AddonHost, sim: SimServer, proxy: _Proxy) -> None:
    assert connect(api, sim.url, sim.admin_token, proxy_mode="custom", proxy_url=proxy.url_with_password).ok
    seen = len(proxy.seen)
    assert connect(api, sim.url, None).ok  # e.g. a caller that knows nothing of proxies
    assert len(proxy.seen) > seen
    assert addon_settings.load_connection(api).proxy == proxy.url_with_password


@pytest.mark.parametrize(("raw", "says"), [
    ("", "a value is required"),
    ("proxy.example.com:3128", "http:// or https://"),
    ("socks5://proxy.example.com:1080", "http:// or https://"),
    ("ftp://proxy.example.com:21", "http:// or https://"),
    ("http://proxy.example.com", "give the proxy's port"),
    ("http://proxy.example.com:0", "from 1 to 65535"),
    ("http://proxy.example.com:65536", "from 1 to 65535"),
    ("http://proxy.example.com:port", "from 1 to 65535"),
    ("http://proxy.example.com:3128/path", "no path, query or fragment"),
    ("http://proxy.example.com:3128?x=1", "no path, query or fragment"),
    ("http://proxy.example.com:3128#top", "no path, query or fragment"),
    ("http://proxy example.com:3128", "spaces or control characters"),
    ("http://proxy.example.com:3128\x00", "spaces or control characters"),
    ("http://proxy.example.com:3128\n", None),  # surrounding whitespace is trimmed: this one is fine
    ("http://:3128", "host name or IP address"),
    ("http://[not-v6]:3128", "not a valid URL"),
    (f"http://alice:{PASSWORD}@:3128", "host name or IP address"),
    (f"http://alice:{PASSWORD}@proxy.example.com", "give the proxy's port"),
    (f"http://alice:{MASK}@proxy.example.com:3128", "type the proxy password"),
    ("http://alice:p@ss@proxy.example.com:3128", "percent-encode"),
    ("http://" + "p" * 500 + ".example.com:3128", "at most 500 characters"),
])
def test_bad_proxy_urls_are_refused_and_nothing_is_saved(addon_host: Host, api: AddonHost, sim: SimServer,
                                                         raw: str, says: str | None) -> None:
    before = stored_rows(addon_host)
    result = connect(api, sim.url, sim.admin_token, proxy_mode="custom", proxy_url=raw)
    if says is None:
        assert not result.errors  # only the address is wrong (no proxy listens there)
        return
    assert not result.ok and set(result.errors) == {"proxy_url"}
    assert result.errors["proxy_url"].startswith("Proxy URL: ") and says in result.errors["proxy_url"]
    assert result.message.startswith("Nothing was saved: Proxy URL: ")
    assert PASSWORD not in result.message
    assert sim.requests == []  # refused before any network call
    assert {k: (r.value, r.encrypted) for k, r in stored_rows(addon_host).items()} == \
        {k: (r.value, r.encrypted) for k, r in before.items()}
    assert not addon_settings.load_connection(api).connected


def test_a_bad_proxy_keeps_every_saved_field(api: AddonHost, sim: SimServer, proxy: _Proxy) -> None:
    assert connect(api, sim.url, sim.admin_token, proxy_mode="custom", proxy_url=proxy.url_with_password).ok
    saved = addon_settings.load_connection(api)
    for mode, url, key in (("custom", "http://other.example.com", "proxy_url"), ("sometimes", "", "proxy_mode")):
        result = connect(api, "https://elsewhere.example.com", "other-key", tls_mode="self_signed",
                         login_url_template="{url}/sso?t={token}", proxy_mode=mode, proxy_url=url)
        assert not result.ok and set(result.errors) == {key}
        assert result.errors[key].startswith("Proxy URL: " if key == "proxy_url" else "Proxy: ")
        assert addon_settings.load_connection(api) == saved


def test_the_masked_url_keeps_the_saved_password() -> None:
    saved = "http://alice:s%40cret@proxy.example.com:3128"
    masked = urls.mask_proxy_url(saved)
    assert masked == f"http://alice:{MASK}@proxy.example.com:3128"
    assert urls.resolve_proxy_url(masked, saved) == (saved, None)
    # the same user at an edited address keeps the saved password
    assert urls.resolve_proxy_url(f"http://alice:{MASK}@proxy2.example.com:8080", saved) == \
        ("http://alice:s%40cret@proxy2.example.com:8080", None)
    # another user does not get alice's password
    url, problem = urls.resolve_proxy_url(f"http://bob:{MASK}@proxy.example.com:3128", saved)
    assert url == "" and problem and problem.startswith("Proxy URL: type the proxy password")
    # a typed URL replaces the saved one; an unparsable one is never shown with its password
    assert urls.resolve_proxy_url("HTTPS://proxy.example.com:443/", saved) == ("https://proxy.example.com:443", None)
    assert urls.mask_proxy_url(f"http://alice:{PASSWORD}@[oops:3128") == f"http://alice:{MASK}@[oops:3128"
    assert urls.mask_proxy_url(f"alice:{PASSWORD}@proxy:3128") == f"alice:{MASK}@proxy:3128"
    assert urls.mask_proxy_url("http://alice@proxy:3128") == "http://alice@proxy:3128"


# --- the admin page ---------------------------------------------------------------------------


def _post(client: FlaskClient, to: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(to, data={"csrf_token": page_csrf(client), **data})


def advanced_open(html: str) -> bool:
    """Whether the Advanced ``<details>`` of the connection fields renders open."""
    return html.split("<summary>Advanced")[0].rsplit("<details", 1)[1].rstrip().endswith(" open>")


def test_admin_page_shows_the_masked_url_and_never_the_password(admin_client: FlaskClient, addon_host: Host,
                                                                 api: AddonHost, sim: SimServer, proxy: _Proxy) -> None:
    connect_page = admin_client.get(PAGE).get_data(as_text=True)
    assert "Advanced: certificate check, proxy and SolusIO login URL" in connect_page
    assert 'name="proxy_mode" value="environment" checked' in connect_page
    assert '<label for="solusio-proxy-url">' in connect_page and 'id="solusio-proxy-url"' in connect_page
    for mode in urls.PROXY_MODES:
        assert f'<label class="check" for="solusio-proxy-{mode}"><input id="solusio-proxy-{mode}"' in connect_page
    assert not advanced_open(connect_page)  # environment, no error: closed

    resp = _post(admin_client, PAGE, action="connect", url=sim.url, api_key=sim.admin_token, tls_mode="verify",
                 proxy_mode="custom", proxy_url=proxy.url_with_password)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert len(proxy.seen) > 0
    pages = [admin_client.get(PAGE + "&tab=" + tab).get_data(as_text=True) for tab in ("overview", "settings")]
    settings_page = pages[-1]
    assert f'value="{proxy.masked_url}"' in settings_page
    assert 'name="proxy_mode" value="custom" checked' in settings_page
    assert advanced_open(settings_page)

    # submitting the masked URL unchanged keeps the saved one (with its password)
    seen = len(proxy.seen)
    resp = _post(admin_client, PAGE + "&tab=settings", action="connection", url=sim.url, api_key="", tls_mode="verify",
                 proxy_mode="custom", proxy_url=proxy.masked_url)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert len(proxy.seen) > seen
    assert addon_settings.load_connection(api).proxy_url == proxy.url_with_password

    # a bad URL: the field's message, nothing saved, the typed password not sent back
    saved = addon_settings.load_connection(api)
    resp = _post(admin_client, PAGE + "&tab=settings", action="connection", url=sim.url, api_key="",
                 tls_mode="verify", proxy_mode="custom", proxy_url="http://alice:n3w-PASSWORD@proxy.example.com")
    refused = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<span class="field-error" data-field="proxy_url">Proxy URL: give the proxy&#39;s port' in refused
    assert "n3w-PASSWORD" not in refused and 'value="http://alice@proxy.example.com"' in refused
    assert addon_settings.load_connection(api) == saved
    pages.append(refused)

    # refused for another field: the typed password is dropped and asked for again
    resp = _post(admin_client, PAGE + "&tab=settings", action="connection", url="ftp://nowhere", api_key="",
                 tls_mode="verify", proxy_mode="custom", proxy_url=proxy.url.replace("http://", "http://alice:n3w-PASSWORD@"))
    refused = resp.get_data(as_text=True)
    assert "n3w-PASSWORD" not in refused and 'data-field="url"' in refused
    assert 'data-field="proxy_url">Proxy URL: type the proxy password again' in refused
    assert addon_settings.load_connection(api) == saved
    pages.append(refused)

    # a refused form that kept the mask shows the mask again
    resp = _post(admin_client, PAGE + "&tab=settings", action="connection", url="ftp://nowhere", api_key="",
                 tls_mode="verify", proxy_mode="custom", proxy_url=proxy.masked_url)
    refused = resp.get_data(as_text=True)
    assert f'value="{proxy.masked_url}"' in refused and 'data-field="proxy_url"' not in refused
    pages.append(refused)

    pages.append(admin_client.get("/admin/activity").get_data(as_text=True))
    for page in pages:
        assert PASSWORD not in page
    assert PASSWORD not in activity(addon_host)

    # direct: the URL is forgotten and the page shows the choice
    resp = _post(admin_client, PAGE + "&tab=settings", action="connection", url=sim.url, api_key="", tls_mode="verify",
                 proxy_mode="direct", proxy_url=proxy.masked_url)
    assert resp.status_code == 302
    conn = addon_settings.load_connection(api)
    assert (conn.proxy_mode, conn.proxy_url) == ("direct", "")
    assert 'name="proxy_mode" value="direct" checked' in admin_client.get(PAGE + "&tab=settings").get_data(as_text=True)


def test_admin_page_bad_mode_opens_advanced(admin_client: FlaskClient, api: AddonHost, sim: SimServer) -> None:
    resp = _post(admin_client, PAGE, action="connect", url=sim.url, api_key=sim.admin_token, tls_mode="verify",
                 proxy_mode="sometimes", proxy_url="")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<span class="field-error" data-field="proxy_mode">Proxy: choose one of the options</span>' in html
    assert advanced_open(html)
    assert not addon_settings.load_connection(api).connected


# --- the command line -------------------------------------------------------------------------


def test_cli_proxy_option_and_status(addon_host: Host, api: AddonHost, sim: SimServer, proxy: _Proxy,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"K": sim.admin_token}
    bad = run(addon_host, "connect", "--url", sim.url, "--api-key-env", "K", "--proxy",
              f"http://alice:{PASSWORD}@proxy.example.com", env=env)
    assert bad.exit_code == 2
    assert "--proxy" in bad.stderr and "Proxy URL: give the proxy's port" in bad.stderr
    assert PASSWORD not in bad.output + bad.stderr
    assert not stored_rows(addon_host).keys() & {addon_settings.API_URL, addon_settings.PROXY_URL}

    ok = run(addon_host, "connect", "--url", sim.url, "--api-key-env", "K", "--proxy", proxy.url_with_password, env=env)
    assert ok.exit_code == 0, ok.output + ok.stderr
    assert len(proxy.seen) > 0 and len(proxy.seen) == len(sim.requests)
    assert addon_settings.load_connection(api).proxy == proxy.url_with_password

    status = run(addon_host, "status")
    assert status.exit_code == 0, status.stderr
    assert f"proxy:                custom: {proxy.masked_url}" in status.output
    assert "solusio answers:      yes" in status.output  # through the proxy
    for text in (ok.output, ok.stderr, status.output, status.stderr, activity(addon_host)):
        assert PASSWORD not in text

    # without --proxy the saved proxy is kept; the masked URL status printed keeps the password
    seen = len(proxy.seen)
    assert run(addon_host, "connect", "--url", sim.url).exit_code == 0
    assert run(addon_host, "connect", "--url", sim.url, "--proxy", proxy.masked_url).exit_code == 0
    assert len(proxy.seen) > seen
    assert addon_settings.load_connection(api).proxy_url == proxy.url_with_password

    dead = dead_proxy()
    monkeypatch.setenv("HTTP_PROXY", dead)
    monkeypatch.setenv("HTTPS_PROXY", dead)
    direct = run(addon_host, "connect", "--url", sim.url, "--proxy", "direct")
    assert direct.exit_code == 0, direct.stderr
    assert addon_settings.load_connection(api).proxy == ""
    assert "proxy:                direct" in run(addon_host, "status", "--offline").output

    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    seen = len(proxy.seen)
    environment = run(addon_host, "connect", "--url", sim.url, "--proxy", "environment")
    assert environment.exit_code == 0, environment.stderr
    assert len(proxy.seen) > seen
    conn = addon_settings.load_connection(api)
    assert (conn.proxy_mode, conn.proxy_url) == ("environment", "")
    assert "proxy:                environment" in run(addon_host, "status", "--offline").output
