"""Fixtures of the web tests: a host with three fake addons (``demo`` with a page of every kind,
``apiaddon`` with a token-authenticated API, ``broken`` that refuses to activate), its app, and
logged-in test clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostsim.addon_api import ActivationResult
from hostsim.db.models import Client
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from hostsim.services.clients import create_client
from hostsim.services.invoices import NewItem
from hostsim.web import create_app
from tests.fake_addons import (
    DEMO_SIDEBAR,
    REFUSED,
    FakeAddon,
    demo_admin_page,
    demo_blueprint,
    demo_client_area,
    demo_navbar,
    demo_panels,
    token_api_blueprint,
)

ADMIN_PASSWORD = "Admin-Pass-123"
CLIENT_PASSWORD = "Client-Pass-123"
#: A value for the demo addon's password field: it must never be shown back.
SECRET = "Sup3r-Secret-Value-42"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str | bytes) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    match = CSRF_RE.search(text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None, *, token_from: str | None = None,
              **kwargs: Any):
    """POST ``data`` with the CSRF token of the page at ``token_from`` (default: ``url``)."""
    page = client.get(token_from or url)
    payload = {"csrf_token": csrf_of(page.data), **(data or {})}
    return client.post(url, data=payload, **kwargs)


class WebFake(FakeAddon):
    """A FakeAddon whose templates are the ones in ``tests/web/templates``: the host looks an
    addon's templates up beside the module that defines it, so this class is defined here."""


@pytest.fixture
def demo() -> FakeAddon:
    return WebFake("demo", title="Demo Addon", author="Demo Author", description="A demonstration addon for the web tests.",
                   activation=ActivationResult("success", "Demo Addon is ready to use"), admin_page=demo_admin_page,
                   sidebar=DEMO_SIDEBAR, client_area=demo_client_area, blueprint=demo_blueprint, navbar=demo_navbar,
                   panels=demo_panels)


@pytest.fixture
def web_host(make_host: Callable[..., Host], demo: FakeAddon) -> Host:
    apiaddon = FakeAddon("apiaddon", "2.0", title="Api Addon", author="Tests", fields=(), blueprint=token_api_blueprint)
    broken = FakeAddon("broken", "0.1", title="Broken Addon", author="Tests", fields=(), activation=REFUSED)
    host = make_host(("demo", demo), ("apiaddon", apiaddon), ("broken", broken))
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    create_admin(host, "helper", "helper@example.com", ADMIN_PASSWORD, role="Support Operator")
    return host


@pytest.fixture
def app(web_host: Host) -> Flask:
    return create_app(web_host)


@pytest.fixture
def anon(app: Flask) -> FlaskClient:
    return app.test_client()


def login_admin(client: FlaskClient, username: str = "boss", password: str = ADMIN_PASSWORD):
    return post_form(client, "/admin/login", {"username": username, "password": password})


def login_client(client: FlaskClient, email: str, password: str = CLIENT_PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login_admin(client).status_code == 302
    return client


def add_client(host: Host, email: str, first: str = "Ada", last: str = "Lovelace", currency: str | None = None) -> int:
    with host.transaction() as s:
        row: Client = create_client(s, first_name=first, last_name=last, email=email, password=CLIENT_PASSWORD,
                                    currency_code=currency, now=host.clock.now())
        return row.id


def add_invoice(host: Host, client_id: int, amount: str = "10.00", *, description: str = "Hosting",
                invoice_date: date | None = None, due_date: date | None = None) -> int:
    return host.invoices.create_invoice(client_id=client_id, items=[NewItem(description, Decimal(amount))],
                                        invoice_date=invoice_date, due_date=due_date)


def activate(host: Host, module: str = "demo", roles: tuple[str, ...] = ("Full Administrator",)) -> None:
    from sqlalchemy import select

    from hostsim.db.models import AdminRole
    result = host.lifecycle.activate(module)
    assert result.status != "error"
    with host.sessions() as s:
        ids = list(s.scalars(select(AdminRole.id).where(AdminRole.name.in_(roles))))
    host.lifecycle.set_access(module, ids)
