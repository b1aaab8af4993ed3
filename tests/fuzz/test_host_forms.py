"""Every form of the host (client area and admin area, addon settings and an addon's own pages)
and the query strings its views read, fed arbitrary text: no 5xx, no traceback, and each
submission saved whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from sqlalchemy import select

from hostsim.db.models import AddonAccess, AddonSetting, Admin, Client, HostSetting, Invoice, Payment
from hostsim.host import Host
from hostsim.services.addon_settings import PASSWORD_MASK, normalise_field
from hostsim.services.bootstrap import create_admin
from hostsim.services.clients import ClientError, normalise_email
from hostsim.services.host_settings import DEFAULTS
from hostsim.web import create_app
from tests.fake_addons import demo_admin_page, demo_blueprint, demo_client_area
from tests.fuzz.conftest import Tally, fuzzing, snapshot, unchanged, whole
from tests.fuzz.harness import csrf_of, get, post
from tests.fuzz.strategies import arbitrary_text, field_value, form_values
from tests.web.conftest import (
    ADMIN_PASSWORD,
    CLIENT_PASSWORD,
    WebFake,
    activate,
    add_client,
    add_invoice,
)


@dataclass
class Web:
    host: Host
    app: Flask
    admin: FlaskClient
    admin_token: str
    client: FlaskClient
    client_token: str
    client_id: int
    invoice_id: int


def login(client: FlaskClient, url: str, data: dict[str, str]) -> None:
    response = client.post(url, data={"csrf_token": csrf_of(client, url), **data})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def web(make_host: Callable[..., Host]) -> Web:
    demo = WebFake("demo", title="Demo Addon", admin_page=demo_admin_page, client_area=demo_client_area,
                   blueprint=demo_blueprint)
    host = make_host(("demo", demo))
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    activate(host, "demo")
    client_id = add_client(host, "ada@example.com")
    invoice_id = add_invoice(host, client_id, "1000000.00")
    app = create_app(host)
    admin = app.test_client()
    login(admin, "/admin/login", {"username": "boss", "password": ADMIN_PASSWORD})
    client = app.test_client()
    login(client, "/login", {"email": "ada@example.com", "password": CLIENT_PASSWORD})
    return Web(host, app, admin, csrf_of(admin, "/admin/"), client, csrf_of(client, "/clientarea"), client_id, invoice_id)


# --- the client area -----------------------------------------------------------------------------

emails = st.integers(0, 10**6).map(lambda n: f"user{n}@example.com")
REGISTER = {"first_name": "Grace", "last_name": "Hopper", "company": "Navy", "email": "", "password": "Xy-Pass-9876!",
            "currency": "USD"}


def _names(fields: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: fields.get(k, "").strip()[:300].strip() for k in keys}


def check_register(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(REGISTER), label="fields")
    email = data.draw(st.one_of(emails, arbitrary_text), label="email")
    fields = {**fields, "email": email}
    visitor = web.app.test_client()
    before = snapshot(web.host, Client)
    response = post(tally, visitor, "/register", fields, csrf_of(visitor, "/register"))
    after = snapshot(web.host, Client)
    what = f"register {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    with web.host.sessions() as s:
        row = s.scalars(select(Client).order_by(Client.id.desc())).first()
    assert row is not None
    expected = {**_names(fields, "first_name", "last_name", "company"), "email": normalise_email(email)}
    stored = {"first_name": row.first_name, "last_name": row.last_name, "company": row.company, "email": row.email}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v})


def check_client_login(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values({"email": "ada@example.com", "password": CLIENT_PASSWORD}), label="fields")
    visitor = web.app.test_client()
    before = snapshot(web.host, Client)
    post(tally, visitor, "/login", fields, csrf_of(visitor, "/login"))
    unchanged(tally, f"client login {fields!r}", before, snapshot(web.host, Client))


def check_admin_login(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values({"username": "boss", "password": ADMIN_PASSWORD}), label="fields")
    visitor = web.app.test_client()
    before = snapshot(web.host, Admin)
    response = post(tally, visitor, "/admin/login", fields, csrf_of(visitor, "/admin/login"))
    if response.status_code != 302:  # a successful login records its time, nothing else
        unchanged(tally, f"admin login {fields!r}", before, snapshot(web.host, Admin))


DETAILS = {"first_name": "Ada", "last_name": "Lovelace", "company": "Engines", "email": "ada@example.com"}


def check_account_details(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(DETAILS), label="fields")
    before = snapshot(web.host, Client)
    response = post(tally, web.client, "/clientarea/details", fields, web.client_token)
    after = snapshot(web.host, Client)
    what = f"account details {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    with web.host.sessions() as s:
        row = s.get(Client, web.client_id)
    assert row is not None
    expected = _names(fields, "first_name", "last_name", "company")
    try:
        expected["email"] = normalise_email(fields.get("email", ""))
    except ClientError:
        expected["email"] = "(refused)"
    stored = {"first_name": row.first_name, "last_name": row.last_name, "company": row.company, "email": row.email}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v})


PASSWORDS = {"current_password": CLIENT_PASSWORD, "new_password": "Brand-New-Pass-77", "confirm_password": "Brand-New-Pass-77"}


def check_client_password_change(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(PASSWORDS), label="fields")
    before = snapshot(web.host, Client)
    response = post(tally, web.client, "/clientarea/details/password", fields, web.client_token)
    if response.status_code != 302:
        return unchanged(tally, f"client password {fields!r}", before, snapshot(web.host, Client))
    web.client_token = csrf_of(web.client, "/clientarea")  # signed in again: a new session


def check_admin_password_change(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values({**PASSWORDS, "current_password": ADMIN_PASSWORD}), label="fields")
    before = snapshot(web.host, Admin)
    response = post(tally, web.admin, "/admin/profile", fields, web.admin_token)
    if response.status_code != 302:
        return unchanged(tally, f"admin password {fields!r}", before, snapshot(web.host, Admin))
    web.admin_token = csrf_of(web.admin, "/admin/")  # signed in again: a new session


# --- the admin area ---------------------------------------------------------------------------------

SETTINGS_FORM = {k: v for k, v in DEFAULTS.items() if k != "smtp_password"} | {"smtp_password": PASSWORD_MASK}


def check_general_settings(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(SETTINGS_FORM), label="fields")
    before = snapshot(web.host, HostSetting)
    response = post(tally, web.admin, "/admin/settings", fields, web.admin_token)
    after = snapshot(web.host, HostSetting)
    what = f"general settings {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    stored = web.host.settings.all()
    expected = {k: v.strip() for k, v in fields.items() if k in DEFAULTS and not (k == "smtp_password" and v == PASSWORD_MASK)}
    expected = {k: (str(int(v)) if k.endswith("_minutes") else v) for k, v in expected.items()}
    whole(tally, what, {k: (v, stored.get(k)) for k, v in expected.items() if stored.get(k) != v})


def check_add_payment(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values({"amount": "10.00", "gateway": "manual", "transaction_id": "T-1"}), label="fields")
    txn = data.draw(st.integers(0, 10**9).map(lambda n: f"T-{n}"), label="txn")
    if fields.get("transaction_id") == "T-1":
        fields["transaction_id"] = txn  # a valid one is new each time
    before = snapshot(web.host, Payment, Invoice)
    url = f"/admin/invoices/{web.invoice_id}"
    response = post(tally, web.admin, url, fields, web.admin_token)
    after = snapshot(web.host, Payment, Invoice)
    what = f"add payment {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    with web.host.sessions() as s:
        payment = s.scalars(select(Payment).order_by(Payment.id.desc())).first()
    assert payment is not None
    expected = {"amount": Decimal(fields["amount"].strip()), "transaction_id": fields.get("transaction_id", "").strip()}
    stored = {"amount": payment.amount, "transaction_id": payment.transaction_id}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v})


CONFIGURE = {"cfg_api_user": "ops", "cfg_api_secret": PASSWORD_MASK, "cfg_enabled": "on", "cfg_mode": "live",
             "cfg_colour": "red", "cfg_notes": "line one\nline two"}


def check_addon_configure(web: Web, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(CONFIGURE), label="fields")
    roles = data.draw(st.lists(st.one_of(st.sampled_from(["1", "2", "3"]), arbitrary_text), max_size=3), label="roles")
    def demo_rows(model: Any) -> Any:
        return model.module == "demo"

    before = snapshot(web.host, AddonSetting, AddonAccess, where=demo_rows)
    response = post(tally, web.admin, "/admin/addonmodules/demo/configure", {**fields, "access_role": roles},
                    web.admin_token)
    after = snapshot(web.host, AddonSetting, AddonAccess, where=demo_rows)
    what = f"addon configure {fields!r} roles {roles!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    config = web.host.addons.config("demo")
    stored = web.host.addon_settings.get_all("demo")
    submitted = {k[4:]: v for k, v in fields.items()}
    expected = {f.key: normalise_field(f, submitted) for f in config.fields}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if v is not None and stored[k] != v})
    if web.host.lifecycle.access_role_ids("demo") != {int(r) for r in roles}:
        raise AssertionError(tally.partial(f"{what}: access not saved"))


# --- an addon's own pages: the host checks them before the addon's code runs -------------------------


def check_addon_pages(web: Web, tally: Tally, data: st.DataObject) -> None:
    note = data.draw(arbitrary_text, label="note")
    word = data.draw(arbitrary_text, label="word")
    post(tally, web.admin, "/admin/addonmodules.php?module=demo", {"note": note}, web.admin_token)
    post(tally, web.client, "/index.php?m=demo", {"word": word}, web.client_token)
    post(tally, web.client, "/modules/addons/demo/echo", {"word": word}, web.client_token)


# --- query strings ------------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/clients", "/admin/invoices", "/admin/activity", "/admin/emails", "/admin/addonmodules",
               "/admin/addonmodules.php", "/admin/settings", "/admin/profile", "/admin/login"]
CLIENT_PAGES = ["/", "/clientarea", "/clientarea/invoices", "/clientarea/details", "/login", "/register", "/index.php"]
ARGS = ["q", "page", "status", "next", "configure", "module", "m", "tab", "action", "currency", "x"]


def check_query_strings(web: Web, tally: Tally, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(ADMIN_PAGES + CLIENT_PAGES), label="path")
    args = data.draw(st.dictionaries(st.one_of(st.sampled_from(ARGS), arbitrary_text), field_value("1"), max_size=3), label="args")
    browser = web.admin if path.startswith("/admin") else web.client
    get(tally, browser, path, args)
    get(tally, web.app.test_client(), path, args)


# --- the tests: each draws a form (or page) per example ------------------------------------------------

CLIENT_AREA = [check_register, check_client_login, check_account_details, check_client_password_change]
ADMIN_AREA = [check_admin_login, check_admin_password_change, check_general_settings, check_add_payment,
              check_addon_configure]
PAGES = [check_addon_pages, check_query_strings]


@fuzzing(len(CLIENT_AREA))
def test_client_area_forms(web: Web, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(CLIENT_AREA), label="form")(web, tally, data)


@fuzzing(len(ADMIN_AREA))
def test_admin_area_forms(web: Web, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(ADMIN_AREA), label="form")(web, tally, data)


@fuzzing(len(PAGES))
def test_addon_pages_and_query_strings(web: Web, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(PAGES), label="page")(web, tally, data)
