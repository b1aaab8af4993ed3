"""Fixtures of the SolusIO addon's client-side tests: a host with the addon active, connected to a
real simulator over HTTP and priced (post-pay enabled), its web app, and helpers.

``addon_host`` is the host's core (web app, services); ``api`` is its facade, the host the addon's
own functions are given, as its hooks are."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import solusio_addon.plugin
from hostsim.addon_api import Host as AddonHost
from hostsim.db.models import Client, Currency, EmailLog
from hostsim.host import Host
from hostsim.services.clients import create_client
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.pricing import save_prices
from solusio_addon.clientarea.state import clear_plan_cache
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_sim import SimServer
from tests.addon_admin.conftest import live_server, template_db  # noqa: F401 (fixtures reused)

CLIENT_PASSWORD = "Client-Pass-123"
SIGNUP_PASSWORD = "Cloud-Pass-456!"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"(https?://\S+/modules/addons/solusio/signup/complete\?token=\S+)")
LANDING = "/index.php?m=solusio"


@pytest.fixture(autouse=True)
def _fresh_plan_cache() -> Iterator[None]:
    clear_plan_cache()
    yield
    clear_plan_cache()


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        server.state.add_limit_group("Starter", vms=2)
        server.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
        server.state.add_plan("Large", tokens_per_hour=28, tokens_per_month=20000)
        yield server


def currency_id(host: Host, code: str) -> int:
    with host.sessions() as s:
        return s.scalars(select(Currency.id).where(Currency.code == code)).one()


def set_prices(host: Host, **prices: str) -> None:
    save_prices(host.addon_api, {currency_id(host, code): Decimal(p) for code, p in prices.items()})


@pytest.fixture
def bare_host(make_host: Callable[..., Host]) -> Host:
    """The addon active but neither connected nor priced."""
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    return host


def connect(host: Host, sim: SimServer, *, limit_group_id: int | None = 1, terms_url: str = "") -> None:
    api = host.addon_api
    addon_settings.save_connection(api, addon_settings.ConnectionSettings(url=sim.url, api_key=sim.admin_token))
    addon_settings.save_postpay(api, addon_settings.PostPaySettings(limit_group_id=limit_group_id,
                                                                    terms_url=terms_url))


@pytest.fixture
def addon_host(bare_host: Host, sim: SimServer) -> Host:
    """Post-pay enabled: connected to the simulator, USD (default) and EUR priced."""
    connect(bare_host, sim, terms_url="https://example.com/postpay-terms")
    bare_host.settings.set_many({"tos_url": "https://example.com/tos"})
    set_prices(bare_host, USD="0.0010", EUR="0.0009")
    return bare_host


@pytest.fixture
def api(addon_host: Host) -> AddonHost:
    """The facade of ``addon_host``: what the addon's own functions are called with."""
    return addon_host.addon_api


@pytest.fixture
def app(addon_host: Host) -> Flask:
    from hostsim.web import create_app
    return create_app(addon_host)


@pytest.fixture
def anon(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(html: str | bytes) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    match = CSRF_RE.search(text)
    assert match, "no csrf_token on the page"
    return match.group(1)


def add_client(host: Host, email: str, *, first: str = "Ada", last: str = "Lovelace", currency: str | None = None,
               verified: bool = True) -> int:
    with host.transaction() as s:
        client = create_client(s, first_name=first, last_name=last, email=email, password=CLIENT_PASSWORD,
                               currency_code=currency, email_verified=verified, now=host.clock.now())
        return client.id


def enrol(host: Host, sim: SimServer, email: str, status: EnrolmentStatus = EnrolmentStatus.ACTIVE,
          invoice_id: int | None = None) -> tuple[int, int]:
    """A client with an enrolment of ``status`` and its SolusIO user; (client id, user id)."""
    client_id = add_client(host, email)
    user = sim.state.add_user(email, billing_user_id=client_id)
    with host.transaction() as s:
        s.add(Enrolment(client_id=client_id, solusio_user_id=None if status is EnrolmentStatus.PENDING else user.id,
                        status=status, status_invoice_id=invoice_id, created_at=host.clock.now()))
    return client_id, user.id


def login(client: FlaskClient, email: str, password: str = CLIENT_PASSWORD) -> None:
    token = csrf_of(client.get("/login").data)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def signup_form(**overrides: str) -> dict[str, str]:
    return {"first_name": "Grace", "last_name": "Hopper", "company": "Navy Labs", "email": "grace@example.com",
            "password": SIGNUP_PASSWORD, **overrides}


def post_signup(client: FlaskClient, **overrides: str) -> Any:
    token = csrf_of(client.get(LANDING).data)
    # Post/Redirect/Get: the answer is the page the redirect leads to (``.history[0]`` the POST's).
    return client.post("/modules/addons/solusio/signup", data={**signup_form(**overrides), "csrf_token": token},
                       follow_redirects=True)


def emails_to(host: Host, address: str) -> list[EmailLog]:
    with host.sessions() as s:
        return list(s.scalars(select(EmailLog).where(EmailLog.to == address).order_by(EmailLog.id)))


def last_link(host: Host, address: str) -> str:
    """The path and query of the newest signup link mailed to ``address``."""
    for entry in reversed(emails_to(host, address)):
        match = LINK_RE.search(entry.body_text)
        if match:
            parts = urlsplit(match.group(1))
            return f"{parts.path}?{parts.query}"
    raise AssertionError(f"no signup link was mailed to {address}")


def complete(client: FlaskClient, link: str, *, tos: bool = True, postpay: bool = True) -> Any:
    page = client.get(link)
    assert page.status_code == 200, page.get_data(as_text=True)
    token = link.split("token=", 1)[1]
    data = {"csrf_token": csrf_of(page.data), "token": token}
    if tos:
        data["accept_tos"] = "1"
    if postpay:
        data["accept_postpay"] = "1"
    return client.post("/modules/addons/solusio/signup/complete", data=data, follow_redirects=True)


def client_row(host: Host, email: str) -> Client | None:
    with host.sessions() as s:
        return s.scalars(select(Client).where(Client.email == email)).first()


def enrolments(host: Host) -> list[Enrolment]:
    with host.sessions() as s:
        return list(s.scalars(select(Enrolment).order_by(Enrolment.id)))


@dataclass
class Smtp:
    port: int
    inbox: Any


@pytest.fixture
def smtp_server() -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[Any] = []

        def handle_message(self, message: Any) -> None:
            self.messages.append(message)

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(port, inbox)
    finally:
        controller.stop()


def use_smtp(host: Host, smtp: Smtp) -> None:
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none",
                            "company_name": "Acme Cloud", "mail_from": "hello@acme.test"})


def body_of(message: Any) -> str:
    if message.is_multipart():
        return "".join(part.get_payload(decode=True).decode() for part in message.walk()
                       if part.get_content_type() == "text/plain")
    return message.get_payload(decode=True).decode()
