"""Fixtures of the SolusIO addon's admin-side tests: the real simulator over HTTP, a Host with
the addon, the host web app (test client, or served on a loopback port), logged-in admins.

``addon_host`` is the host's core (lifecycle, web app, CLI); ``api`` is the facade of that same
host the addon's hooks receive, the only host an addon function is ever given."""

from __future__ import annotations

import dataclasses
import re
import threading
from typing import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

import solusio_addon.plugin
from hostsim.addon_api import Host as AddonHost
from hostsim.db import migrate
from hostsim.db.engine import make_engine
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from solusio_addon.db import MIGRATIONS, VERSION_TABLE
from solusio_sim import SimServer

ADMIN_PASSWORD = "Admin-Pass-1234"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def template_db(template_db: str) -> str:
    """On PostgreSQL/MariaDB the shared truncation needs the addon's tables to exist (its models
    are imported here); SQLite copies stay without them, so activation really creates them."""
    if not template_db.startswith("sqlite"):
        engine = make_engine(template_db)
        migrate.upgrade(engine, MIGRATIONS, VERSION_TABLE)
        engine.dispose()
    return template_db


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        server.state.add_limit_group("Starter", vms=2)
        server.state.add_limit_group("Business", vms=10)
        yield server


@pytest.fixture
def addon_host(make_host: Callable[..., Host]) -> Host:
    """A Host with the SolusIO addon registered and ACTIVE (not connected yet)."""
    host = make_host(("solusio", solusio_addon.plugin))
    result = host.lifecycle.activate("solusio")
    assert result.status == "success", result.description
    return host


@pytest.fixture
def api(addon_host: Host) -> AddonHost:
    """The facade of ``addon_host``: what the addon's own functions are called with."""
    return addon_host.addon_api


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def login_admin(client: FlaskClient, username: str, password: str = ADMIN_PASSWORD) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    resp = client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_of(page)})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def grant_access(host: Host, *role_names: str) -> None:
    from sqlalchemy import select

    from hostsim.db.models import AdminRole
    with host.sessions() as s:
        ids = [r.id for r in s.scalars(select(AdminRole).where(AdminRole.name.in_(role_names)))]
    host.lifecycle.set_access("solusio", ids)


@pytest.fixture
def app(addon_host: Host) -> Flask:
    from hostsim.web import create_app
    return create_app(addon_host, config={"TESTING": True})


@pytest.fixture
def admin_client(addon_host: Host, app: Flask) -> FlaskClient:
    """A test client logged in as a Full Administrator whose role may open the addon."""
    create_admin(addon_host, "boss", "boss@example.com", ADMIN_PASSWORD)
    grant_access(addon_host, "Full Administrator")
    client = app.test_client()
    login_admin(client, "boss")
    return client


PAGE = "/admin/addonmodules.php?module=solusio"


def page_csrf(client: FlaskClient, url: str = PAGE) -> str:
    return csrf_of(client.get(url).get_data(as_text=True))


class LiveServer:
    """The host web app served over real HTTP on a loopback port, in a thread."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        self._http = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._http.server_port}"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def _dispatch(self, environ, start_response):  # type: ignore[no-untyped-def]
        assert self.app is not None, "no app mounted yet"
        return self.app(environ, start_response)

    def serve(self, host: Host) -> Flask:
        """Point ``host``'s public base URL at this server and serve its web app."""
        from hostsim.web import create_app
        host.config = dataclasses.replace(host.config, base_url=self.url)
        self.app = create_app(host)
        self._thread.start()
        return self.app

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    server = LiveServer()
    yield server
    if server._thread.is_alive():
        server.stop()
    else:
        server._http.server_close()


@pytest.fixture
def add_gbp(addon_host: Host) -> Iterator[Callable[[], None]]:
    """Add an active GBP currency to the host; removed afterwards (server backends keep the
    currencies table between tests)."""
    from decimal import Decimal

    from sqlalchemy import delete

    from hostsim.db.models import Currency
    from solusio_addon.db.models import TokenPrice

    def add() -> None:
        with addon_host.transaction() as s:
            s.add(Currency(code="GBP", prefix="\u00a3", suffix=" GBP", rate=Decimal("0.8"), is_default=False,
                           active=True))

    yield add
    with addon_host.transaction() as s:
        ids = list(s.scalars(select_currency_ids(Currency, "GBP")))
        if ids:
            s.execute(delete(TokenPrice).where(TokenPrice.currency_id.in_(ids)))
            s.execute(delete(Currency).where(Currency.id.in_(ids)))


def select_currency_ids(model, code: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    return select(model.id).where(model.code == code)
