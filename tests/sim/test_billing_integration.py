"""SolusIO calling the billing host: plan prices and the "go to billing" SSO redirect."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from solusio_sim import SimServer

from .conftest import Api

SECRET = "billing-secret"


@dataclass
class FakeBilling:
    url: str
    calls: list[tuple[str, str | None, object]] = field(default_factory=list)
    fail: bool = False


@pytest.fixture
def billing() -> Iterator[FakeBilling]:
    app = Flask("fake_billing")
    state = FakeBilling("")

    def authorized() -> bool:
        return request.headers.get("Authorization") == f"Bearer {SECRET}"

    @app.get("/modules/addons/solusio/api/prices")
    def prices():  # type: ignore[no-untyped-def]
        state.calls.append(("prices", request.headers.get("Authorization"),
                            request.args.get("billing_user_id")))
        if state.fail:
            return jsonify({"message": "boom"}), 500
        if not authorized():
            return jsonify({"message": "Unauthenticated."}), 401
        eur = request.args.get("billing_user_id") == "2"
        currency = {"code": "EUR", "prefix": "€", "suffix": " EUR"} if eur else \
            {"code": "USD", "prefix": "$", "suffix": " USD"}
        return jsonify({"data": {"currency": currency,
                                 "token_price": "0.0009" if eur else "0.0010"}})

    @app.post("/modules/addons/solusio/api/sso")
    def sso():  # type: ignore[no-untyped-def]
        body = request.get_json()
        state.calls.append(("sso", request.headers.get("Authorization"), body))
        if state.fail:
            return jsonify({"message": "boom"}), 500
        if not authorized():
            return jsonify({"message": "Unauthenticated."}), 401
        return jsonify({"url": f"http://billing.test/sso?c={body['billing_user_id']}"
                               f"&to={body['destination']}"})

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/modules/addons/solusio/api/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def configure(api: Api, url: str, token: str = SECRET) -> None:
    resp = api.patch("settings", json={"billing_integration": {
        "type": "whmcs", "drivers": {"whmcs": {"url": url, "token": token}}}})
    assert resp.status_code == 200


def test_plan_prices_come_from_the_billing_host(api: Api, billing: FakeBilling) -> None:
    assert api.get("plans", params={"billing_user_id": 1}).json()["data"][0]["price"] is None
    assert billing.calls == []  # not configured yet: no call
    configure(api, billing.url)

    plans = api.get("plans", params={"billing_user_id": 1}).json()["data"]
    small = plans[0]
    assert small["price"] == {"per_hour": "0.0070", "per_month": "5.0000",
                              "currency_code": "USD", "taxes_inclusive": False, "taxes": [],
                              "total_price": "5.0000"}
    assert plans[2]["price"]["per_hour"] == "0.0280"
    assert billing.calls == [("prices", f"Bearer {SECRET}", "1")]  # one call per listing

    eur = api.get(f"plans/{small['id']}", params={"billing_user_id": 2}).json()["data"]
    assert eur["price"]["currency_code"] == "EUR"
    assert (eur["price"]["per_hour"], eur["price"]["per_month"]) == ("0.0063", "4.5000")

    assert api.get("plans").json()["data"][0]["price"] is None  # no billing user: no price


def test_price_stays_null_when_the_billing_host_fails(api: Api, billing: FakeBilling) -> None:
    configure(api, billing.url)
    billing.fail = True
    resp = api.get("plans", params={"billing_user_id": 1})
    assert resp.status_code == 200 and resp.json()["data"][0]["price"] is None
    billing.fail = False
    configure(api, billing.url, token="wrong")
    assert api.get("plans/1", params={"billing_user_id": 1}).json()["data"]["price"] is None
    configure(api, "http://127.0.0.1:9/nothing/")  # nobody listens there
    resp = api.get("plans", params={"billing_user_id": 1})
    assert resp.status_code == 200 and resp.json()["data"][0]["price"] is None


def test_go_to_billing_redirects_through_sso(sim: SimServer, api: Api,
                                             billing: FakeBilling) -> None:
    user = sim.state.add_user("client@example.com", billing_user_id=77)
    go = f"{sim.url}/billing/go"
    resp = requests.get(go, params={"user_id": user.id, "destination": "invoices"},
                        allow_redirects=False, timeout=5)
    assert resp.status_code == 409  # integration not configured yet

    configure(api, billing.url)
    resp = requests.get(go, params={"user_id": user.id, "destination": "invoices"},
                        allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "http://billing.test/sso?c=77&to=invoices"
    assert billing.calls[-1] == ("sso", f"Bearer {SECRET}",
                                 {"billing_user_id": 77, "destination": "invoices"})
    resp = requests.get(go, params={"user_id": user.id}, allow_redirects=False, timeout=5)
    assert resp.headers["Location"].endswith("to=home")

    assert requests.get(go, params={"user_id": 999}, timeout=5).status_code == 404
    assert requests.get(go, params={"user_id": user.id, "destination": "admin"},
                        timeout=5).status_code == 400
    billing.fail = True
    resp = requests.get(go, params={"user_id": user.id}, allow_redirects=False, timeout=5)
    assert resp.status_code == 502 and "text/html" in resp.headers["Content-Type"]
