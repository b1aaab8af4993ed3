"""Fixtures of the example addon's tests: docs/examples/hello_addon registered as addon "hello" on
the test database, the web app over it, and the ``hostsim`` command line.

CI installs the example (``pip install -e docs/examples/hello_addon``); in a checkout where it
is not installed, its project folder goes on ``sys.path`` so it imports all the same.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hello_addon"
if importlib.util.find_spec("hello_addon") is None:
    sys.path.insert(0, str(EXAMPLE))

import hello_addon.plugin

from hostsim.addon_api import InvoiceSpec, InvoiceStatus, NewItem
from hostsim.cli import main
from hostsim.host import Host
from hostsim.web import create_app

PASSWORD = "Client-Pass-123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE = "/index.php?m=hello"


@pytest.fixture
def hello_host(make_host: Callable[..., Host]) -> Host:
    """A host with the example addon installed as "hello" (not yet active)."""
    return make_host(("hello", hello_addon.plugin))


@pytest.fixture
def app(hello_host: Host) -> Flask:
    return create_app(hello_host)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``hostsim`` in-process on the given Host: ``cli(host, "addon", "activate", "hello")``."""

    def invoke(host: Host, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), obj=host, input=input)

    return invoke


def add_client(host: Host, email: str, first_name: str = "Ada") -> int:
    """Register a client through the host's client service (validated, as the signup form does)."""
    with host.transaction() as s:
        client = host.addon_api.clients.register(s, first_name=first_name, last_name="Lovelace", email=email,
                                                 password=PASSWORD)
        s.flush()
        return client.id


def add_invoice(host: Host, client_id: int, status: InvoiceStatus = InvoiceStatus.UNPAID) -> int:
    """One invoice of 10.00 (Unpaid or Draft) through the host's invoice service."""
    with host.transaction() as s:
        (created,) = host.addon_api.invoices.create_many(
            s, [InvoiceSpec(client_id, [NewItem("Hosting", Decimal("10.00"))], status=status)])
        return created.id


def pay(host: Host, invoice_id: int) -> None:
    """Pay the invoice in full, as an admin records a payment."""
    assert host.addon_api.invoices.add_payment(invoice_id, Decimal("10.00"), transaction_id=f"test-{invoice_id}")


def login(client: FlaskClient, email: str) -> None:
    """Log ``client`` in through the login form (with its CSRF token)."""
    page = client.get("/login")
    token = CSRF_RE.search(page.get_data(as_text=True))
    assert token, "the login page has no CSRF token"
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def html(answer: Any) -> str:
    text: str = answer.get_data(as_text=True)
    return text
