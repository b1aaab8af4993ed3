"""Proxies: the environment (read once, when the client is built) or an explicit ``proxy``.

A real forwarding HTTP proxy on loopback counts what passes through it.
"""

from __future__ import annotations

import base64

import pytest

from solusio_addon.solusio_api import ClientOptions, SolusioClient, SolusioConfigError, SolusioConnectionError
from tests.loopback_proxy import ForwardingProxy, clear_proxy_env, closed_port, running


@pytest.fixture
def proxy():
    with running(ForwardingProxy()) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch):
    clear_proxy_env(monkeypatch)


def test_http_proxy_from_the_environment_carries_every_call(sim, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with SolusioClient(sim.url, sim.admin_token, retries=0) as c:
        assert c.test_connection().user.email == sim.state.ADMIN_EMAIL
    assert [(m, p) for m, p, _auth in proxy.seen] == [
        ("GET", f"{sim.url}/api/v1/account"), ("GET", f"{sim.url}/api/v1/limit_groups?page=1")]
    assert len(sim.requests) == 2  # and they reached SolusIO


def test_no_proxy_bypasses_the_environment_proxy(sim, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    with SolusioClient(sim.url, sim.admin_token, retries=0) as c:
        c.test_connection()
    assert proxy.seen == [] and len(sim.requests) == 2


def test_the_environment_is_read_once_when_the_client_is_built(sim, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    c = SolusioClient(sim.url, sim.admin_token, retries=0)
    monkeypatch.delenv("HTTP_PROXY")
    c.get_settings()
    assert len(proxy.seen) == 1
    direct = SolusioClient(sim.url, sim.admin_token, retries=0)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    direct.get_settings()
    assert len(proxy.seen) == 1 and len(sim.requests) == 2


def test_an_explicit_proxy_wins_over_the_environment(sim, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # applies to the environment's proxy only
    with SolusioClient(sim.url, sim.admin_token, retries=0, proxy=proxy.url) as c:
        c.get_settings()
    assert len(proxy.seen) == 1
    monkeypatch.delenv("NO_PROXY")
    with SolusioClient(sim.url, sim.admin_token, retries=0, proxy="") as c:  # "": direct, whatever the environment says
        c.get_settings()
    assert len(proxy.seen) == 1 and len(sim.requests) == 2


def test_proxy_credentials_are_sent_but_never_shown(sim, proxy):
    password = "pr0xy-S3CRET"
    url = proxy.url.replace("http://", f"http://alice:{password}@")
    c = SolusioClient(sim.url, sim.admin_token, retries=0, proxy=url)
    c.get_settings()
    assert proxy.seen[0][2] == "Basic " + base64.b64encode(f"alice:{password}".encode()).decode()
    assert password not in repr(c.options) and password not in repr(c) and password not in repr(c._t)
    assert "http://***@127.0.0.1" in repr(c.options)

    dead = f"http://alice:{password}@127.0.0.1:{closed_port()}"
    with pytest.raises(SolusioConnectionError) as ei:
        SolusioClient(sim.url, sim.admin_token, retries=1, sleep=lambda s: None, proxy=dead).get_settings()
    assert f"through the proxy http://***@127.0.0.1:{dead.rsplit(':', 1)[1]}" in str(ei.value)
    for text in (str(ei.value), repr(ei.value), ei.value.detail or ""):
        assert password not in text and sim.admin_token not in text


@pytest.mark.parametrize("bad", ["proxy.example.com:3128", "ftp://proxy.example.com", "http://", 3128])
def test_unusable_proxy_settings_are_refused(bad):
    with pytest.raises(SolusioConfigError):
        ClientOptions(proxy=bad)
