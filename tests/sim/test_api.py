"""The REST API over real HTTP: envelopes, paging, validation and error bodies."""

from __future__ import annotations

from datetime import datetime, timezone

import requests

from solusio_sim import SimServer

from .conftest import Api


def make_user(api: Api, email: str, **extra: object) -> dict:
    body = {"email": email, "password": "s3cret-pass", "status": "active",
            "billing_user_id": None, **extra}
    resp = api.post("users", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]


def test_account_is_the_admin_user(api: Api) -> None:
    resp = api.get("account")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    data = resp.json()["data"]
    assert data["email"] == "admin@solusio.test"
    assert data["roles"] == [{"id": 1, "name": "admin"}]


def test_bad_token_is_401_and_non_admin_is_403(sim: SimServer, api: Api) -> None:
    bad = Api(sim.api_url, "nope")
    resp = bad.get("limit_groups")
    assert resp.status_code == 401 and resp.json() == {"message": "Unauthenticated."}
    assert requests.get(sim.api_url + "account", timeout=5).status_code == 401

    user = make_user(api, "client@example.com")
    client = Api(sim.api_url, sim.state.create_token(user["id"]))
    assert client.get("account").json()["data"]["email"] == "client@example.com"
    for method, path in [("GET", "limit_groups"), ("GET", "users"), ("POST", "users"),
                         ("GET", "plans"), ("PATCH", "settings"), ("GET", "servers")]:
        resp = client.request(method, path, json={})
        assert resp.status_code == 403, (method, path)
        assert resp.json() == {"message": "This action is unauthorized."}
    assert Api(sim.api_url, sim.state.create_token()).get("users").status_code == 403
    assert Api(sim.api_url, sim.state.create_token(admin=True)).get("users").status_code == 200


def test_unknown_ids_are_404_json(api: Api) -> None:
    for path in ["users/999", "plans/999", "servers/999", "users/999/usage", "no/such/thing"]:
        resp = api.get(path)
        assert resp.status_code == 404, path
        assert isinstance(resp.json()["message"], str)
    assert api.delete("users/999").status_code == 404
    assert api.put("users/999", json={"status": "locked"}).status_code == 404


def test_user_crud(sim: SimServer, api: Api) -> None:
    group = api.get("limit_groups").json()["data"][0]
    assert set(group) == {"id", "name", "vms", "running_vms", "additional_ips"}
    assert set(group["vms"]) == {"limit", "is_enabled"}
    user = make_user(api, "Jane@Example.com", billing_user_id=42, limit_group_id=group["id"])
    assert user["email"] == "Jane@Example.com" and user["status"] == "active"
    assert user["billing_user_id"] == 42 and user["limit_group"]["id"] == group["id"]
    assert user["roles"] == [{"id": 2, "name": "client"}]
    assert user["created_at"].endswith("Z")
    uid = user["id"]
    assert api.get(f"users/{uid}").json()["data"] == user

    resp = api.put(f"users/{uid}", json={"status": "locked"})
    assert resp.status_code == 200 and resp.json()["data"]["status"] == "locked"
    assert resp.json()["data"]["email"] == "Jane@Example.com"
    resp = api.put(f"users/{uid}", json={"limit_group_id": None, "password": "another-pass"})
    assert resp.json()["data"]["limit_group"] is None
    assert sim.state.get_user(uid).password == "another-pass"
    resp = api.patch(f"users/{uid}", json={"email": "jane2@example.com"})
    assert resp.status_code == 200 and resp.json()["data"]["email"] == "jane2@example.com"
    assert sim.state.find_user_by_email("JANE2@example.com").id == uid

    resp = api.delete(f"users/{uid}")
    assert resp.status_code == 204 and resp.content == b""
    assert api.get(f"users/{uid}").status_code == 404
    make_user(api, "jane@example.com")  # the old email is free again


def test_user_validation_errors(sim: SimServer, api: Api) -> None:
    make_user(api, "taken@example.com")
    resp = api.post("users", json={})
    assert resp.status_code == 422
    body = resp.json()
    assert isinstance(body["message"], str)
    assert body["errors"]["email"] == ["The email field is required."]
    assert body["errors"]["password"] == ["The password field is required."]

    resp = api.post("users", json={"email": "TAKEN@example.com", "password": "short",
                                   "status": "sleeping", "limit_group_id": 999,
                                   "billing_user_id": "abc"})
    errors = resp.json()["errors"]
    assert resp.status_code == 422
    assert errors["email"] == ["The email has already been taken."]
    assert errors["password"] == ["The password must be at least 8 characters."]
    assert set(errors) == {"email", "password", "status", "limit_group_id", "billing_user_id"}

    assert api.post("users", json={"email": "not-an-email", "password": "long-enough"}) \
        .json()["errors"] == {"email": ["The email must be a valid email address."]}

    other = make_user(api, "other@example.com")
    resp = api.patch(f"users/{other['id']}", json={"email": "Taken@Example.com"})
    assert resp.status_code == 422 and "email" in resp.json()["errors"]
    # PUT refuses it the same way, and changes nothing else of that body
    resp = api.put(f"users/{other['id']}", json={"email": "taken@example.com", "status": "locked"})
    assert resp.status_code == 422 and resp.json()["errors"] == {"email": ["The email has already been taken."]}
    assert api.get(f"users/{other['id']}").json()["data"]["status"] == "active"
    assert sim.state.get_user(other["id"]).email == "other@example.com"
    resp = api.put(f"users/{other['id']}", json={"status": "gone"})
    assert resp.status_code == 422 and resp.json()["errors"] == {
        "status": ["The selected status is invalid."]}
    # own email again is fine
    assert api.patch(f"users/{other['id']}", json={"email": "other@example.com"}) \
        .status_code == 200
    assert api.post("users", data="{not json", headers={
        "Content-Type": "application/json"}).status_code == 400


def test_paging_over_more_than_three_pages(sim: SimServer, api: Api) -> None:
    for i in range(60):
        sim.state.add_user(f"page{i:02d}@example.com")
    for i in range(3):
        sim.state.add_user(f"other{i}@elsewhere.org")
    # 60 + 3 + the admin = 64 users -> 5 pages of 15
    first = api.get("users").json()
    assert first["meta"] == {"current_page": 1, "from": 1, "last_page": 5,
                             "path": sim.api_url + "users", "per_page": 15, "to": 15,
                             "total": 64}
    assert first["links"]["first"] == sim.api_url + "users?page=1"
    assert first["links"]["last"] == sim.api_url + "users?page=5"
    assert first["links"]["prev"] is None
    assert first["links"]["next"] == sim.api_url + "users?page=2"

    seen, url = [], sim.api_url + "users"
    while url:
        page = api.session.get(url, timeout=5).json()
        seen += [u["id"] for u in page["data"]]
        url = page["links"]["next"]
    assert len(seen) == 64 and len(set(seen)) == 64 and seen == sorted(seen)

    last = api.get("users", params={"page": 5}).json()
    assert last["meta"]["from"] == 61 and last["meta"]["to"] == 64
    assert len(last["data"]) == 4 and last["links"]["next"] is None
    assert last["links"]["prev"] == sim.api_url + "users?page=4"
    beyond = api.get("users", params={"page": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["from"] is None
    assert beyond["meta"]["current_page"] == 9

    # filter[search]: case-insensitive substring on the email, kept in the links
    found = api.get("users", params={"filter[search]": "PAGE", "page": 2}).json()
    assert found["meta"]["total"] == 60 and found["meta"]["last_page"] == 4
    assert all("page" in u["email"] for u in found["data"])
    assert "filter%5Bsearch%5D=PAGE" in found["links"]["next"]
    assert api.get("users", params={"filter[search]": "other1@elsewhere.org"}) \
        .json()["meta"]["total"] == 1
    sim.page_size = 50
    assert api.get("users").json()["meta"]["last_page"] == 2


def test_servers_and_status_effects(sim: SimServer, api: Api) -> None:
    user = make_user(api, "owner@example.com")
    plan = api.get("plans").json()["data"][0]
    resp = api.post("servers", json={"name": "web-1", "plan_id": plan["id"],
                                     "user_id": user["id"], "additional_ips": 1})
    assert resp.status_code == 201
    server = resp.json()["data"]
    assert server["status"] == "started" and server["is_suspended"] is False
    assert server["plan"]["id"] == plan["id"] and server["user"]["id"] == user["id"]
    assert len(server["uuid"]) == 36
    assert api.get(f"servers/{server['id']}").json()["data"]["name"] == "web-1"
    other = make_user(api, "other@example.com")
    sim.state.add_server(other["id"], plan["id"])
    listing = api.get("servers", params={"filter[user_id]": user["id"]}).json()
    assert [s["id"] for s in listing["data"]] == [server["id"]]
    assert api.get("servers").json()["meta"]["total"] == 2

    assert api.post("servers", json={"plan_id": 999}).json()["errors"].keys() == \
        {"name", "plan_id"}

    api.put(f"users/{user['id']}", json={"status": "locked"})
    resp = api.post("servers", json={"name": "web-2", "plan_id": plan["id"],
                                     "user_id": user["id"]})
    assert resp.status_code == 422 and "locked" in resp.json()["message"]
    assert sim.state.get_server(server["id"]).status == "started"  # lock keeps it running

    api.put(f"users/{user['id']}", json={"status": "suspended"})
    suspended = api.get(f"servers/{server['id']}").json()["data"]
    assert suspended["status"] == "stopped" and suspended["is_suspended"] is True
    assert sim.state.get_server(server["id"]).intervals[-1].stop is not None
    assert api.post("servers", json={"name": "x", "plan_id": plan["id"],
                                     "user_id": user["id"]}).status_code == 422

    api.put(f"users/{user['id']}", json={"status": "active"})
    assert api.get(f"servers/{server['id']}").json()["data"]["is_suspended"] is False
    assert api.post(f"servers/{server['id']}/start").json()["data"]["status"] == "started"
    assert api.delete(f"servers/{server['id']}").status_code == 204
    assert api.get(f"servers/{server['id']}").status_code == 404


def test_plans_and_settings(api: Api) -> None:
    plans = api.get("plans").json()
    assert [p["name"] for p in plans["data"]] == ["Small", "Medium", "Large"]
    small = api.get(f"plans/{plans['data'][0]['id']}").json()["data"]
    assert small == {"id": small["id"], "name": "Small", "tokens_per_hour": 7,
                     "tokens_per_month": 5000, "ip_tokens_per_hour": 1,
                     "ip_tokens_per_month": 500, "price": None}

    settings = api.get("settings").json()["data"]
    assert settings["billing_integration"]["drivers"]["whmcs"]["url"] is None
    patch = {"billing_integration": {"type": "whmcs", "drivers": {"whmcs": {
        "url": "https://billing.example/modules/addons/solusio/api/", "token": "s3"}}}}
    resp = api.patch("settings", json=patch)
    assert resp.status_code == 200
    merged = resp.json()["data"]
    assert merged["billing_integration"] == patch["billing_integration"]
    assert merged["theme"] == settings["theme"]  # other sections untouched
    api.patch("settings", json={"theme": {"title": "Cloud"}})
    after = api.get("settings").json()["data"]
    assert after["theme"]["title"] == "Cloud"
    assert after["theme"]["primary_color"] == settings["theme"]["primary_color"]
    assert after["billing_integration"]["drivers"]["whmcs"]["token"] == "s3"


def test_usage_endpoint(sim: SimServer, api: Api) -> None:
    sim.state.clock.set(datetime(2026, 9, 1, tzinfo=timezone.utc))
    user = make_user(api, "u@example.com")
    plan_id = api.get("plans").json()["data"][0]["id"]
    server = sim.state.add_server(user["id"], plan_id, "web-1",
                                  created_at=datetime(2026, 7, 1, tzinfo=timezone.utc))
    sim.state.stop_server(server.id, at=datetime(2026, 7, 30, 4, tzinfo=timezone.utc))
    resp = api.get(f"users/{user['id']}/usage", params={
        "filter[from]": "2026-07-01T00:00:00Z", "filter[to]": "2026-08-01T00:00:00+00:00"})
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert data["user_id"] == user["id"] and data["total_tokens"] == 4900
    [item] = data["items"]
    assert set(item) >= {"type", "server_id", "server_uuid", "name", "plan", "from", "to",
                         "hours", "tokens", "capped"}
    assert (item["hours"], item["tokens"], item["server_uuid"]) == (700, 4900, server.uuid)

    def errors(params: dict) -> dict:
        r = api.get(f"users/{user['id']}/usage", params=params)
        assert r.status_code == 422
        return r.json()["errors"]

    assert set(errors({})) == {"filter.from", "filter.to"}
    assert set(errors({"filter[from]": "yesterday", "filter[to]": "2026-08-01T00:00:00Z"})) \
        == {"filter.from"}
    assert set(errors({"filter[from]": "2026-08-01T00:00:00Z",
                       "filter[to]": "2026-08-01T00:00:00Z"})) == {"filter.to"}


def test_request_log(sim: SimServer, api: Api) -> None:
    sim.clear_requests()
    api.get("plans", params={"page": 2})
    api.get("users/999")
    log = sim.requests
    assert [(r.method, r.path, r.query, r.status) for r in log] == [
        ("GET", "/api/v1/plans", "page=2", 200), ("GET", "/api/v1/users/999", "", 404)]
    assert log[0].duration_ms >= 0 and log[0].time.endswith("Z")
    sim.clear_requests()
    assert sim.requests == []
