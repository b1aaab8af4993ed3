"""Fixtures of the payment tests: a host with the built-in gateways, its app, a client and an invoice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostsim.gateways.sandbox import CALLBACK_FIELDS, sign
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from hostsim.web import create_app
from tests.web.conftest import ADMIN_PASSWORD, add_client, add_invoice, login_admin, login_client

SANDBOX_SECRET = "sandbox-test-secret-7f3a"


@pytest.fixture
def pay_host(make_host: Callable[..., Host]) -> Host:
    host = make_host()
    host.payment_gateways.activate("sandbox")
    host.payment_gateways.configure("sandbox", settings={"secret": SANDBOX_SECRET})
    host.payment_gateways.activate("banktransfer")
    return host


@pytest.fixture
def pay_app(pay_host: Host) -> Flask:
    return create_app(pay_host)


@pytest.fixture
def pay_admin(pay_host: Host, pay_app: Flask) -> FlaskClient:
    """A Full Administrator ("boss") logged in to the admin area."""
    create_admin(pay_host, "boss", "boss@example.com", ADMIN_PASSWORD)
    browser = pay_app.test_client()
    assert login_admin(browser).status_code == 302
    return browser


@pytest.fixture
def processor(pay_app: Flask) -> FlaskClient:
    """An anonymous HTTP client: what an external processor is to the host."""
    return pay_app.test_client()


def signed(invoice_id: int, amount: str, currency: str = "USD", txn: str = "sbx_1", status: str = "approved",
           secret: str = SANDBOX_SECRET) -> dict[str, str]:
    fields = {"invoice_id": str(invoice_id), "amount": amount, "currency": currency, "transaction_id": txn,
              "status": status, "card_last4": "4242"}
    fields["signature"] = sign(secret.encode(), fields, CALLBACK_FIELDS)
    return fields


__all__ = ["SANDBOX_SECRET", "add_client", "add_invoice", "login_client", "signed"]
