"""One-time login tokens and the /auth/by-token browser page."""

from __future__ import annotations

import requests

from solusio_sim import SimServer

from .conftest import Api


def test_one_time_token_logs_in_exactly_once(sim: SimServer, api: Api) -> None:
    user = sim.state.add_user("<b>eve</b>@example.com")
    resp = api.post(f"users/{user.id}/tokens", json={"is_one_time": True})
    assert resp.status_code == 201
    data = resp.json()["data"]
    assert data["is_one_time"] is True and data["user_id"] == user.id
    token = data["access_token"]
    assert isinstance(token, str) and len(token) >= 32

    # a one-time login token is not an API token
    assert Api(sim.api_url, token).get("account").status_code == 401

    browser = requests.Session()
    page = browser.get(f"{sim.url}/auth/by-token", params={"token": token}, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Logged in as &lt;b&gt;eve&lt;/b&gt;@example.com" in page.text
    assert "<b>eve" not in page.text
    assert browser.cookies.get("solusio_session")

    again = requests.get(f"{sim.url}/auth/by-token", params={"token": token}, timeout=5)
    assert again.status_code == 401
    assert "This login link is invalid or has already been used" in again.text
    unknown = requests.get(f"{sim.url}/auth/by-token", params={"token": "forged"}, timeout=5)
    assert unknown.status_code == 401 and "invalid" in unknown.text
    assert "solusio_session" not in unknown.cookies


def test_token_for_unknown_user_is_404_and_bad_flag_is_422(api: Api) -> None:
    assert api.post("users/999/tokens", json={"is_one_time": True}).status_code == 404
    resp = api.post("users/1/tokens", json={"is_one_time": "yes"})
    assert resp.status_code == 422 and "is_one_time" in resp.json()["errors"]


def test_regular_user_token_acts_as_that_user(sim: SimServer, api: Api) -> None:
    user = sim.state.add_user("bob@example.com")
    token = api.post(f"users/{user.id}/tokens", json={"is_one_time": False}) \
        .json()["data"]["access_token"]
    bob = Api(sim.api_url, token)
    assert bob.get("account").json()["data"]["email"] == "bob@example.com"
    assert bob.get("users").status_code == 403
