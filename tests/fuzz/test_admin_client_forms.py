"""The admin client page's forms (profile, credit, close and reopen, currency), an invoice's
Refund form, Payment Gateways' Configure and the Gateway Log's filters, fed arbitrary text and
arbitrary ids in their URLs: no 5xx, no traceback, and each submission saved whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from sqlalchemy import select

from hostsim.db.models import (
    ActivityLog,
    Client,
    ClientStatus,
    CreditEntry,
    Currency,
    Gateway,
    GatewayLog,
    GatewaySetting,
    Invoice,
    Payment,
)
from hostsim.host import Host
from hostsim.money import parse_decimal
from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.services.bootstrap import create_admin
from hostsim.services.client_profile import clean_address
from hostsim.services.clients import ClientError, normalise_email
from hostsim.web import create_app
from tests.fuzz.conftest import Tally, fuzzing, snapshot, unchanged, whole
from tests.fuzz.harness import csrf_of, get, post
from tests.fuzz.strategies import arbitrary_text, whole_or_part
from tests.web.conftest import ADMIN_PASSWORD, add_client, add_invoice

#: Ids a URL path may carry that name no client or invoice: beyond any INTEGER column, zero, Unicode digits.
ODD_IDS = ["99999999999999999999", str(2**31), str(2**63), "0", "00", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
           "-1", "1e3", "abc", "%00"]


@dataclass
class Page:
    host: Host
    app: Flask
    admin: FlaskClient
    token: str
    ada: int  # invoices and credit
    cleo: int  # no invoice and no credit: her currency may change
    invoice_id: int  # paid by two payments: refundable
    payments: list[int]
    used_keys: set[str] = field(default_factory=set)


def _login(client: FlaskClient) -> None:
    response = client.post("/admin/login", data={"csrf_token": csrf_of(client, "/admin/login"), "username": "boss",
                                                  "password": ADMIN_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def admin_forms(make_host: Callable[..., Host]) -> Page:
    host = make_host()
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    host.payment_gateways.activate("sandbox")
    host.payment_gateways.configure("sandbox", settings={"secret": "fuzz-sandbox-secret"})
    host.payment_gateways.activate("banktransfer")
    ada = add_client(host, "ada@example.com")
    cleo = add_client(host, "cleo@example.com", "Cleo", "Patra")
    invoice_id = add_invoice(host, ada, "2000000.00")
    payments = [host.payments.record(invoice_id, Decimal("1000000.00"), gateway="manual", transaction_id="M-1").payment_id,
                host.payments.record(invoice_id, Decimal("1000000.00"), gateway="sandbox",
                                     transaction_id="sbx_fuzz1").payment_id]
    add_invoice(host, ada, "10.00")  # unpaid
    host.credit.adjust(ada, Decimal("100.00"), reason="Start")
    with host.transaction() as s:  # the Gateway Log's filters have rows to filter
        for gateway, outcome in (("sandbox", "paid"), ("sandbox", "bad_signature"), ("retired", "error")):
            s.add(GatewayLog(created_at=datetime(2026, 7, 1, tzinfo=timezone.utc), gateway=gateway, invoice_id=invoice_id,
                             transaction_id="sbx_fuzz1", outcome=outcome, message="fuzz", raw="{}"))
    app = create_app(host)
    admin = app.test_client()
    _login(admin)
    return Page(host, app, admin, csrf_of(admin, "/admin/"), ada, cleo, invoice_id, payments)


def client_id_in_url(web: Page, data: st.DataObject) -> tuple[str, int | None]:
    """Mostly a real client's id; else one that names nobody (None)."""
    choice = data.draw(st.sampled_from(["ada", "ada", "cleo", "cleo", "odd"]), label="client")
    if choice == "odd":
        return data.draw(st.sampled_from(ODD_IDS), label="odd_id"), None
    cid = web.ada if choice == "ada" else web.cleo
    return str(cid), cid


def nobody(tally: Tally, what: str, response: Any, before: Any, after: Any) -> None:
    """A URL that names no client: not found (or no such route), and nothing changed."""
    if response.status_code not in (400, 404, 405):
        raise AssertionError(tally.partial(f"{what}: answered {response.status_code} for no such client"))
    unchanged(tally, what, before, after)


def post_accepted(web: Page, tally: Tally, path: str, fields: dict[str, str], models: tuple[Any, ...], what: str,
                  cid: int | None) -> tuple[Any, Any] | None:
    """POST ``fields`` to ``path`` between two snapshots of ``models``. A URL that names no client,
    or a refused form, must have changed nothing: checked here, and None returned. Otherwise the
    two snapshots, for the caller to check what the accepted form changed."""
    before = snapshot(web.host, *models)
    response = post(tally, web.admin, path, fields, web.token)
    after = snapshot(web.host, *models)
    if cid is None:
        nobody(tally, what, response, before, after)
        return None
    if response.status_code != 302:
        unchanged(tally, what, before, after)
        return None
    return before, after


def _client(web: Page, cid: int) -> Client:
    with web.host.sessions() as s:
        row = s.get(Client, cid)
        assert row is not None
        s.expunge(row)
        return row


# --- the admin client page ----------------------------------------------------------------------------

emails = st.integers(0, 10**6).map(lambda n: f"user{n}@example.com")


def check_profile(web: Page, tally: Tally, data: st.DataObject) -> None:
    url_id, cid = client_id_in_url(web, data)
    email = _client(web, cid).email if cid else "nobody@example.com"
    valid = {"first_name": "Ada", "last_name": "Lovelace", "company": "Engines", "email": email,
             "address": "1 Analytical Row\nLondon", "currency": "USD", "status": "Active"}
    fields = data.draw(whole_or_part(valid), label="fields")
    if fields.get("email") == email:
        fields["email"] = data.draw(st.one_of(st.just(email), emails), label="email")
    if fields.get("status") == "Active":
        fields["status"] = data.draw(st.sampled_from([s.value for s in ClientStatus]), label="status")
    if fields.get("currency") == "USD":  # Ada has invoices: only Cleo may change hers
        fields["currency"] = data.draw(st.sampled_from(["USD", "EUR", "eur", "GBP"]), label="currency")
    what = f"client {url_id} profile {fields!r}"
    if post_accepted(web, tally, f"/admin/clients/{url_id}/profile", fields, (Client, ActivityLog), what, cid) is None:
        return
    assert cid is not None
    row = _client(web, cid)
    limits = {"address": 600}
    typed = {k: v[:limits.get(k, 300)].strip() for k, v in fields.items()}
    expected: dict[str, Any] = {k: typed[k] for k in ("first_name", "last_name", "company") if k in typed}
    if "address" in typed:
        expected["address"] = clean_address(typed["address"])
    if "email" in typed:
        try:
            expected["email"] = normalise_email(typed["email"])
        except ClientError:
            expected["email"] = "(refused)"
    if "status" in typed:
        expected["status"] = typed["status"]
    if "currency" in typed:
        expected["currency"] = typed["currency"].upper()
    stored = {"first_name": row.first_name, "last_name": row.last_name, "company": row.company, "email": row.email,
              "address": row.address, "status": row.status.value, "currency": row.currency.code}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v})


def check_credit(web: Page, tally: Tally, data: st.DataObject) -> None:
    url_id, cid = client_id_in_url(web, data)
    if cid == web.cleo:  # Cleo keeps no credit, so that her currency may change
        url_id, cid = str(web.ada), web.ada
    fields = data.draw(whole_or_part({"amount": "5.00", "direction": "add", "reason": "Goodwill"}, numbers=("amount",)),
                       label="fields")
    if fields.get("direction") == "add":
        fields["direction"] = data.draw(st.sampled_from(["add", "remove"]), label="direction")
    what = f"client {url_id} credit {fields!r}"
    snapshots = post_accepted(web, tally, f"/admin/clients/{url_id}/credit", fields,
                              (Client, CreditEntry, ActivityLog), what, cid)
    if snapshots is None:
        return
    assert cid is not None
    before, after = snapshots
    amount = parse_decimal(fields["amount"], places=2, field="amount")
    signed = -amount if fields["direction"] == "remove" else amount
    with web.host.sessions() as s:
        entry = s.scalars(select(CreditEntry).where(CreditEntry.client_id == cid).order_by(CreditEntry.id.desc())).first()
    assert entry is not None
    old = next(r for r in before["clients"] if r[0] == cid)
    balance = _client(web, cid).credit
    mismatches = {}
    if (entry.amount, entry.reason) != (signed, fields["reason"].strip()):
        mismatches["entry"] = ((signed, fields["reason"].strip()), (entry.amount, entry.reason))
    if len(after["credit_log"]) != len(before["credit_log"]) + 1 or entry.balance != balance or balance < 0:
        mismatches["balance"] = (old, balance, entry.balance)
    whole(tally, what, mismatches)


def check_close_reopen(web: Page, tally: Tally, data: st.DataObject) -> None:
    url_id, cid = client_id_in_url(web, data)
    action = data.draw(st.sampled_from(["close", "reopen"]), label="action")
    extra = data.draw(st.dictionaries(arbitrary_text, arbitrary_text, max_size=2), label="extra")
    what = f"client {url_id} {action} {extra!r}"
    if post_accepted(web, tally, f"/admin/clients/{url_id}/{action}", extra, (Client, ActivityLog), what, cid) is None:
        return
    assert cid is not None
    status = _client(web, cid).status
    if (status is ClientStatus.CLOSED) != (action == "close"):
        raise AssertionError(tally.partial(f"{what}: the client is {status.value}"))


def check_currency(web: Page, tally: Tally, data: st.DataObject) -> None:
    url_id, cid = client_id_in_url(web, data)
    code = data.draw(st.one_of(st.sampled_from(["EUR", "usd", " gbp ", "XXX", "USD"]), arbitrary_text), label="code")
    models = (Client, ActivityLog)
    before = snapshot(web.host, *models)
    response = post(tally, web.admin, f"/admin/clients/{url_id}/currency", {"currency": code}, web.token)
    after = snapshot(web.host, *models)
    what = f"client {url_id} currency {code!r}"
    if cid is None:
        return nobody(tally, what, response, before, after)
    old = next(r for r in before["clients"] if r[0] == cid)
    new = next(r for r in after["clients"] if r[0] == cid)
    if old == new:
        return unchanged(tally, what, before, after)
    with web.host.sessions() as s:
        wanted = s.scalars(select(Currency.code).where(Currency.code == code[:10].strip().upper())).first()
    stored = _client(web, cid).currency.code
    whole(tally, what, {} if stored == wanted and cid == web.cleo else {"currency": (wanted, stored)})


# --- an invoice's Refund form ---------------------------------------------------------------------------


def check_refund(web: Page, tally: Tally, data: st.DataObject) -> None:
    odd = data.draw(st.integers(0, 9), label="odd") == 0
    url_id = data.draw(st.sampled_from(ODD_IDS), label="invoice") if odd else str(web.invoice_id)
    payment = data.draw(st.sampled_from([str(p) for p in web.payments]), label="payment")
    key = data.draw(st.integers(0, 10**12).map(lambda n: f"k{n}"), label="key")
    fields = data.draw(whole_or_part({"payment_id": payment, "amount": "1.00", "method": "manual", "reason": "Goodwill",
                                      "request_key": key}, numbers=("amount", "payment_id")), label="fields")
    if fields.get("method") == "manual":
        fields["method"] = data.draw(st.sampled_from(["manual", "credit", "gateway"]), label="method")
    models = (Payment, Invoice, Client, CreditEntry, ActivityLog)
    before = snapshot(web.host, *models)
    response = post(tally, web.admin, f"/admin/invoices/{url_id}/refund", fields, web.token)
    after = snapshot(web.host, *models)
    what = f"invoice {url_id} refund {fields!r}"
    submitted_key = fields.get("request_key", "").strip()
    if odd:
        return nobody(tally, what, response, before, after)
    if response.status_code != 302 or submitted_key in web.used_keys:  # refused, or the same form again
        return unchanged(tally, what, before, after)
    if submitted_key:
        web.used_keys.add(submitted_key)
    new = [r for r in after["payments"] if r not in before["payments"]]
    with web.host.sessions() as s:
        refund = s.scalars(select(Payment).order_by(Payment.id.desc())).first()
        ada_credit = s.get(Client, web.ada).credit  # type: ignore[union-attr]
    assert refund is not None
    amount = parse_decimal(fields["amount"], places=2, field="amount")
    expected = {"amount": -amount, "refund_of_id": int(fields["payment_id"]), "refund_method": fields["method"],
                "reason": fields.get("reason", "").strip()}
    stored = {k: getattr(refund, k) for k in expected}
    mismatches = {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v}
    if len(new) != 1:
        mismatches["rows"] = len(new)
    old_credit = next(r for r in before["clients"] if r[0] == web.ada)
    if fields["method"] == "credit" and len(after["credit_log"]) != len(before["credit_log"]) + 1:
        mismatches["credit"] = (old_credit, ada_credit)
    whole(tally, what, mismatches)


# --- Payment Gateways ------------------------------------------------------------------------------------

#: Each gateway's valid form: a field it does not have is an unknown one (no line break allowed).
GATEWAY_FORMS = {"sandbox": {"display_name": "Card", "order": "3", "cfg_secret": "new-secret", "currencies": "USD"},
                 "banktransfer": {"display_name": "Bank", "order": "1", "cfg_instructions": "IBAN XX00\nBIC X",
                                  "currencies": "USD"}}


def check_gateway_configure(web: Page, tally: Tally, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["sandbox", "sandbox", "banktransfer", "banktransfer", "mailin", "odd"]),
                     label="gateway")
    if name == "odd":
        name = data.draw(arbitrary_text, label="name")
    fields: dict[str, Any] = data.draw(whole_or_part(GATEWAY_FORMS.get(name, GATEWAY_FORMS["sandbox"]),
                                                     numbers=("order",)), label="fields")
    if "currencies" in fields:
        fields["currencies"] = data.draw(st.lists(st.one_of(st.sampled_from(["USD", "EUR", "eur", "GBP"]),
                                                            arbitrary_text), max_size=3), label="currencies")
    if data.draw(st.booleans(), label="mask") and "cfg_secret" in fields:
        fields["cfg_secret"] = data.draw(st.sampled_from([PASSWORD_MASK, "", " "]), label="secret")
    clear = data.draw(st.lists(st.one_of(st.just("secret"), arbitrary_text), max_size=2), label="clear")
    if clear:
        fields["clear"] = clear
    models = (Gateway, GatewaySetting, ActivityLog)
    before = snapshot(web.host, *models)
    stored_before = web.host.payment_gateways.settings(name) if web.host.gateways.is_installed(name) else {}
    path = f"/admin/gateways/{quote(name.encode('utf-8', 'surrogatepass'), safe='')}/configure"
    response = post(tally, web.admin, path, fields, web.token)
    after = snapshot(web.host, *models)
    what = f"gateway {name!r} configure {fields!r}"
    active = name in {r[0] for r in before["gateways"]}
    if response.status_code != 302 or not active:
        return unchanged(tally, what, before, after)
    row = web.host.payment_gateways.get_active(name)
    assert row is not None
    settings = web.host.payment_gateways.settings(name)
    expected: dict[str, Any] = {}
    if "display_name" in fields:
        expected["display_name"] = fields["display_name"].strip()
    if "order" in fields:
        expected["order"] = int(fields["order"].strip())
    codes = ",".join(fields.get("currencies", [])).split(",")
    expected["currencies"] = ",".join(sorted({c.strip().upper() for c in codes if c.strip()}))
    if name == "banktransfer" and "cfg_instructions" in fields:
        expected["instructions"] = fields["cfg_instructions"].strip()
    if name == "sandbox":
        typed = fields.get("cfg_secret", "")
        if "secret" in clear:
            expected["secret"] = ""
        elif typed.strip() and typed.strip() != PASSWORD_MASK:
            expected["secret"] = typed.strip()
        else:
            expected["secret"] = stored_before["secret"]
    stored = {"display_name": row.display_name, "order": row.sort_order, "currencies": row.currencies, **settings}
    whole(tally, what, {k: (v, stored.get(k)) for k, v in expected.items() if stored.get(k) != v})


def check_gateway_log(web: Page, tally: Tally, data: st.DataObject) -> None:
    args = data.draw(st.dictionaries(st.sampled_from(["gateway", "outcome", "page", "x"]),
                                     st.one_of(st.sampled_from(["sandbox", "retired", "paid", "error", "2", "0"]),
                                               arbitrary_text), max_size=3), label="args")
    before = snapshot(web.host, GatewayLog)
    get(tally, web.admin, "/admin/gateways/log", args)
    get(tally, web.admin, "/admin/gateways", {k: v for k, v in args.items() if k != "outcome"} | {"configure": "sandbox"})
    unchanged(tally, f"gateway log {args!r}", before, snapshot(web.host, GatewayLog))


# --- the tests: each draws a form per example -------------------------------------------------------------

CLIENT_PAGE = [check_profile, check_credit, check_close_reopen, check_currency]
PAYMENTS = [check_refund, check_gateway_configure, check_gateway_log]


@fuzzing(len(CLIENT_PAGE))
def test_admin_client_page_forms(admin_forms: Page, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(CLIENT_PAGE), label="form")(admin_forms, tally, data)


@fuzzing(len(PAYMENTS))
def test_refund_and_gateway_forms(admin_forms: Page, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(PAYMENTS), label="form")(admin_forms, tally, data)

