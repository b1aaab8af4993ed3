"""The billing-integration API answers only for clients enrolled in post-pay, and bounds what it
parses. Over real HTTP: the host web app on a loopback port, configured by a real Test Connection
against the simulator, which also asks for prices and SSO links the way SolusIO does.

* ``GET api/prices`` and ``POST api/sso``: 200 for an enrolment active, locked or suspended;
  404 ``unknown_user`` with no enrolment, a pending one, or a closed client.
* A body over 16 KiB: 413; JSON nested too deeply for the parser: 400 with an error JSON.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from hostsim.addon_api import ClientStatus
from hostsim.host import Host
from hostsim.services.clients import create_client
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.connection import connect
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_sim import SimServer

PASSWORD = "Client-Pass-1234"
ENROLLED = [EnrolmentStatus.ACTIVE, EnrolmentStatus.LOCKED, EnrolmentStatus.SUSPENDED]


@pytest.fixture
def wired(addon_host: Host, sim: SimServer, live_server) -> Iterator[tuple[Host, SimServer, str]]:  # type: ignore[no-untyped-def]
    """Host served on loopback, connected to the simulator by a real Test Connection, USD priced."""
    live_server.serve(addon_host)
    result = connect(addon_host.addon_api, sim.url, sim.admin_token)
    assert result.ok, result.message
    parsed, errors = pricing.validate_prices({"USD": "0.0010"}, pricing.active_prices(addon_host.addon_api),
                                             require_all=False)
    assert not errors
    pricing.save_prices(addon_host.addon_api, parsed)
    yield addon_host, sim, live_server.url + "/modules/addons/solusio/api/"


def bearer(host: Host) -> dict[str, str]:
    return {"Authorization": "Bearer " + addon_settings.load_connection(host.addon_api).integration_secret}


def add_client(host: Host, email: str, enrolment: EnrolmentStatus | None = None, *, sim: SimServer | None = None) -> int:
    """A USD client, enrolled with ``enrolment`` (a SolusIO user bound to it unless pending)."""
    with host.transaction() as s:
        client_id = create_client(s, first_name="Ada", last_name="Lovelace", email=email, password=PASSWORD,
                                  currency_code="USD", now=host.clock.now()).id
    if enrolment is not None:
        user_id = None
        if enrolment is not EnrolmentStatus.PENDING:
            assert sim is not None
            user_id = sim.state.add_user(email, billing_user_id=client_id, status=enrolment.value).id
        with host.transaction() as s:
            s.add(Enrolment(client_id=client_id, solusio_user_id=user_id, status=enrolment,
                            created_at=host.clock.now()))
    return client_id


def prices(api: str, host: Host, client_id: int) -> requests.Response:
    return requests.get(api + "prices", params={"billing_user_id": client_id}, headers=bearer(host), timeout=10)


def sso(api: str, host: Host, client_id: int) -> requests.Response:
    return requests.post(api + "sso", json={"billing_user_id": client_id, "destination": "home"}, headers=bearer(host),
                         timeout=10)


def assert_unknown(resp: requests.Response, client_id: int) -> None:
    assert resp.status_code == 404, resp.text
    assert resp.json() == {"error": {"code": "unknown_user", "message": f"No billing user #{client_id}."}}


@pytest.mark.parametrize("status", ENROLLED, ids=[s.value for s in ENROLLED])
def test_enrolled_clients_get_prices_and_sso(wired, status) -> None:  # type: ignore[no-untyped-def]
    host, sim, api = wired
    client_id = add_client(host, f"{status.value}@example.com", status, sim=sim)
    resp = prices(api, host, client_id)
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["token_price"] == "0.0010"
    resp = sso(api, host, client_id)
    assert resp.status_code == 200, resp.text
    assert resp.json()["url"].startswith(api.replace("/api/", "/sso/"))
    # and as SolusIO asks: the plan is priced for that client
    plan = sim.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
    data = requests.get(f"{sim.api_url}plans/{plan.id}", params={"billing_user_id": client_id},
                        headers={"Authorization": f"Bearer {sim.admin_token}"}, timeout=10).json()["data"]
    assert data["price"] is not None and data["price"]["currency_code"] == "USD"


@pytest.mark.parametrize("case", ["not enrolled", "pending", "closed"])
def test_other_clients_are_unknown(wired, case) -> None:  # type: ignore[no-untyped-def]
    host, sim, api = wired
    if case == "not enrolled":
        client_id = add_client(host, "none@example.com")
    elif case == "pending":
        client_id = add_client(host, "pending@example.com", EnrolmentStatus.PENDING)
    else:
        client_id = add_client(host, "closed@example.com", EnrolmentStatus.ACTIVE, sim=sim)
        host.addon_api.clients.update(client_id, actor="test", status=ClientStatus.CLOSED)
    assert_unknown(prices(api, host, client_id), client_id)
    assert_unknown(sso(api, host, client_id), client_id)
    # SolusIO gets no price for that billing user, and its "go to billing" leads nowhere
    plan = sim.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
    data = requests.get(f"{sim.api_url}plans/{plan.id}", params={"billing_user_id": client_id},
                        headers={"Authorization": f"Bearer {sim.admin_token}"}, timeout=10).json()["data"]
    assert data["price"] is None
    user = sim.state.find_user_by_email(f"{case.split()[0]}@example.com") or sim.state.add_user(
        f"{case.split()[0]}@example.com", billing_user_id=client_id)
    go = requests.get(f"{sim.url}/billing/go", params={"user_id": user.id}, allow_redirects=False, timeout=10)
    assert go.status_code == 502


def test_a_deeply_nested_body_is_refused_not_a_500(wired) -> None:  # type: ignore[no-untyped-def]
    host, sim, api = wired
    client_id = add_client(host, "nested@example.com", EnrolmentStatus.ACTIVE, sim=sim)
    headers = {**bearer(host), "Content-Type": "application/json"}
    # the body: too big before it is too deep
    resp = requests.post(api + "sso", data="[" * 100_000, headers=headers, timeout=10)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
    # within the size limit, too deep for the parser
    for body in ("[" * 10_000, '{"a":' * 2_500 + "1" + "}" * 2_500):
        resp = requests.post(api + "sso", data=body, headers=headers, timeout=10)
        assert resp.status_code == 400, resp.text
        assert resp.json() == {"error": {"code": "bad_request", "message": "The JSON body is nested too deeply."}}
    # the API still works afterwards
    assert sso(api, host, client_id).status_code == 200


def test_an_oversized_body_is_413(wired) -> None:  # type: ignore[no-untyped-def]
    host, sim, api = wired
    client_id = add_client(host, "big@example.com", EnrolmentStatus.ACTIVE, sim=sim)
    body = {"billing_user_id": client_id, "destination": "home", "padding": "x" * (16 * 1024)}
    resp = requests.post(api + "sso", json=body, headers=bearer(host), timeout=10)
    assert resp.status_code == 413
    assert resp.json()["error"] == {"code": "too_large", "message": "The request body is limited to 16384 bytes."}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield b'{"billing_user_id": %d, "padding": "' % client_id
        for _ in range(40):
            yield b"x" * 1024
        yield b'"}'

    resp = requests.post(api + "sso", data=chunks(), headers={**bearer(host), "Content-Type": "application/json"},
                         timeout=10)
    assert resp.status_code == 413
    # just under the limit is parsed as usual
    body["padding"] = "x" * (16 * 1024 - 200)
    resp = requests.post(api + "sso", json=body, headers=bearer(host), timeout=10)
    assert resp.status_code == 200, resp.text
    # bad JSON is still a plain 400
    resp = requests.post(api + "sso", data=b"\xff{not json", headers=bearer(host), timeout=10)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"
