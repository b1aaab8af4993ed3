"""The billing-integration API SolusIO calls, end to end: a real Test Connection configures the
simulator, the host web app is served on a loopback port, and the simulator fetches prices and
follows an SSO link into the client area.

Status codes: 401 bad/missing secret, 400 bad input, 404 unknown user, 409 the user's currency
has no token price. Every error body is JSON ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.clock import clock
from hostsim.db.models import Currency
from hostsim.host import Host
from hostsim.services.clients import create_client
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.connection import connect
from solusio_addon.db.models import Enrolment, EnrolmentStatus, SsoLink
from solusio_sim import SimServer

PASSWORD = "Client-Pass-1234"


def add_client(host: Host, email: str, currency: str = "USD") -> int:
    with host.transaction() as s:
        client = create_client(s, first_name="Ada", last_name="Lovelace", email=email, password=PASSWORD,
                               currency_code=currency, now=host.clock.now())
        # The integration API answers only for clients enrolled in post-pay.
        s.add(Enrolment(client_id=client.id, status=EnrolmentStatus.ACTIVE, created_at=host.clock.now()))
        return client.id


def set_prices(api: AddonHost, **prices: str) -> None:
    parsed, errors = pricing.validate_prices(prices, pricing.active_prices(api), require_all=False)
    assert not errors
    pricing.save_prices(api, parsed)


@pytest.fixture
def wired(addon_host: Host, api: AddonHost, sim: SimServer, live_server):  # type: ignore[no-untyped-def]
    """Host served on loopback, connected to the simulator by a real Test Connection."""
    live_server.serve(addon_host)
    result = connect(api, sim.url, sim.admin_token)
    assert result.ok, result.message
    assert sim.state.billing_driver()[0] == live_server.url + "/modules/addons/solusio/api/"
    return addon_host, sim, live_server


def api(live_server, path: str) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + "/modules/addons/solusio/api/" + path


def bearer(host: Host) -> dict[str, str]:
    return {"Authorization": "Bearer " + addon_settings.load_connection(host.addon_api).integration_secret}


def test_simulator_prices_plans_through_the_host(wired) -> None:  # type: ignore[no-untyped-def]
    host, sim, _ = wired
    set_prices(host.addon_api, USD="0.0010", EUR="0.0009")
    usd_client = add_client(host, "usd@example.com")
    eur_client = add_client(host, "eur@example.com", "EUR")
    plan = sim.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
    head = {"Authorization": f"Bearer {sim.admin_token}"}
    for client_id, code, per_month in ((usd_client, "USD", "5.0000"), (eur_client, "EUR", "4.5000")):
        data = requests.get(f"{sim.api_url}plans/{plan.id}", params={"billing_user_id": client_id}, headers=head,
                            timeout=10).json()["data"]
        assert data["price"]["currency_code"] == code
        assert Decimal(data["price"]["per_month"]) == Decimal(per_month)
        assert Decimal(data["price"]["per_hour"]) == Decimal(7) * Decimal("0.0010" if code == "USD" else "0.0009")


def test_prices_answer_shape(wired) -> None:  # type: ignore[no-untyped-def]
    host, _, live = wired
    set_prices(host.addon_api, USD="0.001", EUR="0.0009")
    client_id = add_client(host, "shape@example.com")
    resp = requests.get(api(live, "prices"), params={"billing_user_id": client_id}, headers=bearer(host), timeout=10)
    assert resp.status_code == 200
    assert resp.json() == {"data": {"currency": {"code": "USD", "prefix": "$", "suffix": " USD"},
                                    "token_price": "0.0010"}}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer "}])
def test_bad_secret_is_401_json(wired, headers) -> None:  # type: ignore[no-untyped-def]
    host, _, live = wired
    client_id = add_client(host, "x@example.com")
    for resp in (requests.get(api(live, "prices"), params={"billing_user_id": client_id}, headers=headers, timeout=10),
                 requests.post(api(live, "sso"), json={"billing_user_id": client_id}, headers=headers, timeout=10)):
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "unauthorized"


def test_unknown_user_404_no_price_409_bad_input_400(wired) -> None:  # type: ignore[no-untyped-def]
    host, _, live = wired
    set_prices(host.addon_api, USD="0.0010")  # EUR has no price
    eur_client = add_client(host, "eur@example.com", "EUR")
    resp = requests.get(api(live, "prices"), params={"billing_user_id": 999}, headers=bearer(host), timeout=10)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_user"
    resp = requests.post(api(live, "sso"), json={"billing_user_id": 999}, headers=bearer(host), timeout=10)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_user"
    resp = requests.get(api(live, "prices"), params={"billing_user_id": eur_client}, headers=bearer(host), timeout=10)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "no_price"
    assert "EUR" in resp.json()["error"]["message"]
    for bad in ("abc", "-1", "0", "", "1.5"):
        resp = requests.get(api(live, "prices"), params={"billing_user_id": bad}, headers=bearer(host), timeout=10)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"
    resp = requests.post(api(live, "sso"), json={"billing_user_id": eur_client, "destination": "elsewhere"},
                         headers=bearer(host), timeout=10)
    assert resp.status_code == 400
    resp = requests.post(api(live, "sso"), data="not json", headers=bearer(host), timeout=10)
    assert resp.status_code == 400


def test_simulator_sso_link_lands_in_client_area_once(wired) -> None:  # type: ignore[no-untyped-def]
    host, sim, live = wired
    client_id = add_client(host, "sso@example.com")
    user = sim.state.add_user("sso@example.com", billing_user_id=client_id)
    browser = requests.Session()
    resp = browser.get(f"{sim.url}/billing/go", params={"user_id": user.id, "destination": "invoices"},
                       allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    link = resp.headers["Location"]
    assert link.startswith(live.url + "/modules/addons/solusio/sso/")
    landed = browser.get(link, timeout=10)
    assert landed.status_code == 200
    assert landed.url == live.url + "/clientarea/invoices"
    assert "My Invoices" in landed.text
    # the link is single-use, even for the same browser
    again = requests.get(link, allow_redirects=False, timeout=10)
    assert again.status_code == 403 and "has already been used" in again.text
    # only a hash of the nonce is stored
    nonce = link.rsplit("/", 1)[1]
    with host.sessions() as s:
        hashes = list(s.scalars(select(SsoLink.nonce_hash)))
    assert nonce not in hashes and len(hashes) == 1


def test_sso_link_expires_after_60_seconds(wired) -> None:  # type: ignore[no-untyped-def]
    host, _, live = wired
    client_id = add_client(host, "late@example.com")
    resp = requests.post(api(live, "sso"), json={"billing_user_id": client_id, "destination": "home"},
                         headers=bearer(host), timeout=10)
    link = resp.json()["url"]
    clock.advance(timedelta(seconds=61))
    late = requests.get(link, allow_redirects=False, timeout=10)
    assert late.status_code == 403
    clock.reset()
    fresh = requests.post(api(live, "sso"), json={"billing_user_id": client_id}, headers=bearer(host),
                          timeout=10).json()["url"]
    ok = requests.get(fresh, allow_redirects=False, timeout=10)
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/clientarea")


def test_a_made_up_link_is_refused(wired) -> None:  # type: ignore[no-untyped-def]
    _, _, live = wired
    resp = requests.get(live.url + "/modules/addons/solusio/sso/made-up", allow_redirects=False, timeout=10)
    assert resp.status_code == 403


def test_api_is_404_while_the_addon_is_inactive(wired) -> None:  # type: ignore[no-untyped-def]
    host, _, live = wired
    secret = bearer(host)
    host.lifecycle.deactivate("solusio")
    resp = requests.get(api(live, "prices"), params={"billing_user_id": 1}, headers=secret, timeout=10)
    assert resp.status_code == 404


def test_new_currency_shows_up_unpriced(wired, add_gbp) -> None:  # type: ignore[no-untyped-def]
    host, _, _ = wired
    set_prices(host.addon_api, USD="0.0010", EUR="0.0009")
    add_gbp()
    rows = pricing.active_prices(host.addon_api)
    assert [r.code for r in rows if r.price is None] == ["GBP"]
    assert "GBP cannot be invoiced" in pricing.missing_price_warning(pricing.unpriced_codes(rows))
    with host.sessions() as s:
        assert s.scalars(select(Currency).where(Currency.code == "GBP")).one().active
