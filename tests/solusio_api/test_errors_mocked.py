"""Error shapes the simulator cannot produce, with requests-mock (no network).

requests-mock replaces the session's adapter, so urllib3's retries (the retry policy) do not run
here: every mocked call is one attempt. The policy is tested over real sockets, in
test_retry_policy.py and test_against_sim.py.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from solusio_addon.solusio_api import (
    SolusioAuthError,
    SolusioBadResponse,
    SolusioClient,
    SolusioError,
    SolusioNotFound,
    SolusioRateLimited,
    SolusioServerError,
    SolusioTimeout,
    SolusioValidationError,
    parse_retry_after,
)

BASE = "https://solus.example.com"
API = BASE + "/api/v1/"
KEY = "sk-TOP-SECRET-key-0123456789"


@pytest.fixture
def client():
    c = SolusioClient(BASE, KEY, retries=3, backoff=0, max_retry_after=2)
    yield c
    c.close()


def user_json(uid=1, email="a@example.com"):
    return {"id": uid, "email": email, "status": "active", "billing_user_id": None,
            "created_at": "2026-07-01T10:00:00Z", "roles": [{"id": 2, "name": "client"}],
            "limit_group": None}


def page(items, current, last):
    nxt = None if current >= last else f"{API}x?page={current + 1}"
    return {"data": items, "links": {"first": None, "last": None, "prev": None, "next": nxt},
            "meta": {"current_page": current, "last_page": last, "per_page": 2, "total": 0}}


def test_every_call_sends_the_three_headers(client, requests_mock):
    requests_mock.get(API + "users/1", json={"data": user_json()})
    client.get_user(1)
    headers = requests_mock.last_request.headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"


def test_422_with_errors_and_message(client, requests_mock):
    requests_mock.post(API + "users", status_code=422, json={
        "message": "The given data was invalid.",
        "errors": {"email": ["The email has already been taken."], "password": ["Too short."]}})
    requests_mock.get(API + "users", json=page([], 1, 1))
    with pytest.raises(SolusioValidationError) as ei:
        client.create_user("a@example.com", "pw")
    exc = ei.value
    assert exc.status == 422
    assert exc.errors == {"email": ["The email has already been taken."], "password": ["Too short."]}
    assert exc.server_message == "The given data was invalid."
    assert "already been taken" in str(exc) and "password: Too short." in str(exc)


def test_422_with_only_message_and_with_nothing(client, requests_mock):
    requests_mock.patch(API + "users/3", [
        {"status_code": 422, "json": {"message": "Email is bad."}},
        {"status_code": 422, "json": {}},
    ])
    with pytest.raises(SolusioValidationError) as ei:
        client.change_user_email(3, "x")
    assert ei.value.errors == {} and "Email is bad." in str(ei.value)
    with pytest.raises(SolusioValidationError) as ei:
        client.change_user_email(3, "x")
    assert ei.value.errors == {} and ei.value.server_message is None and "no details" in str(ei.value)


def test_422_non_json_body_keeps_raw_text(client, requests_mock):
    requests_mock.patch(API + "users/3", status_code=422, text="email: not acceptable",
                        headers={"Content-Type": "text/plain"})
    with pytest.raises(SolusioValidationError) as ei:
        client.change_user_email(3, "x")
    assert ei.value.raw_body == "email: not acceptable"
    assert ei.value.errors == {}
    assert "email: not acceptable" in str(ei.value)


@pytest.mark.parametrize("status", [200, 404])
def test_web_page_instead_of_api(client, requests_mock, status):
    requests_mock.get(API + "account", status_code=status,
                      text="<!DOCTYPE html><html><body>Welcome to nginx</body></html>",
                      headers={"Content-Type": "text/html"})
    with pytest.raises(SolusioBadResponse) as ei:
        client.test_connection()
    assert str(ei.value) == (f"The server at {BASE} answered with a web page, not the SolusIO API. "
                             "Check the installation URL.")


def test_json_without_data_envelope(client, requests_mock):
    requests_mock.get(API + "account", json={"hello": "world"})
    with pytest.raises(SolusioBadResponse, match="not answer like the SolusIO API"):
        client.test_connection()


def test_redirect_to_https_is_reported_not_followed(requests_mock):
    c = SolusioClient("http://solus.example.com", KEY, retries=0, backoff=0)
    requests_mock.post("http://solus.example.com/api/v1/users/5/tokens", status_code=301,
                       headers={"Location": "https://solus.example.com/api/v1/users/5/tokens"})
    with pytest.raises(SolusioBadResponse) as ei:
        c.create_login_token(5)
    assert "redirects to https://solus.example.com" in str(ei.value)
    assert ei.value.redirect_to == "https://solus.example.com/api/v1/users/5/tokens"
    assert requests_mock.call_count == 1  # not followed as a GET


def test_plain_http_to_https_port(requests_mock):
    c = SolusioClient("http://solus.example.com:443", KEY, retries=0, backoff=0)
    requests_mock.get("http://solus.example.com:443/api/v1/account", status_code=400,
                      text="<html><center>The plain HTTP request was sent to HTTPS port</center></html>",
                      headers={"Content-Type": "text/html"})
    with pytest.raises(SolusioBadResponse, match=r"expects HTTPS.*use https://solus\.example\.com:443"):
        c.test_connection()


def test_401_403_404_5xx_map_to_types(client, requests_mock):
    requests_mock.get(API + "users/1", status_code=401, json={"message": "Unauthenticated."})
    requests_mock.get(API + "users/2", status_code=404, json={"message": "Not found"})
    requests_mock.post(API + "users/3/tokens", status_code=502, text="bad gateway")
    with pytest.raises(SolusioAuthError, match="rejected the API key"):
        client.get_user(1)
    with pytest.raises(SolusioNotFound) as ei:
        client.get_user(2)
    assert ei.value.status == 404
    with pytest.raises(SolusioServerError) as ei:
        client.create_login_token(3)
    assert ei.value.status == 502
    assert requests_mock.call_count == 3


def test_read_timeout_maps_to_a_timeout_that_may_have_been_processed(client, requests_mock):
    requests_mock.post(API + "users/7/tokens", exc=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(SolusioTimeout) as ei:
        client.create_login_token(7)
    assert ei.value.maybe_processed is True
    assert "did not answer within 35 s" in str(ei.value)
    # what requests raises when urllib3 ran out of retries on read timeouts
    out_of_retries = MaxRetryError(None, "/api/v1/users/7", ReadTimeoutError(None, "/api/v1/users/7", "Read timed out."))  # type: ignore[arg-type]
    requests_mock.get(API + "users/7", exc=requests.exceptions.ConnectionError(out_of_retries))
    with pytest.raises(SolusioTimeout) as ei:
        client.get_user(7)
    assert ei.value.maybe_processed is True
    assert "did not answer within 35 s" in str(ei.value)


def test_429_maps_to_rate_limited_with_retry_after(client, requests_mock):
    requests_mock.get(API + "plans/1", status_code=429, headers={"Retry-After": "120"}, json={})
    with pytest.raises(SolusioRateLimited) as ei:
        client.get_plan(1)
    assert ei.value.retry_after == 120
    assert requests_mock.call_count == 1


def test_parse_retry_after():
    now = datetime(2026, 7, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=42), usegmt=True), now=now) == 42
    assert parse_retry_after(format_datetime(now - timedelta(seconds=42), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_create_user_post_timeout_then_found_by_lookup(client, requests_mock):
    requests_mock.get(API + "users", [
        {"json": page([], 1, 1)},
        {"json": page([user_json(5, "B@Example.com")], 1, 1)},
    ])
    requests_mock.post(API + "users", exc=requests.exceptions.ReadTimeout("lost"))
    user = client.create_user("b@example.com", "pw")
    assert user.id == 5
    posts = [r for r in requests_mock.request_history if r.method == "POST"]
    assert len(posts) == 1


def test_paging_is_lazy_and_stops_on_null_next(client, requests_mock):
    lg = {"id": 1, "name": "g", "vms": {"limit": 1, "is_enabled": True},
          "running_vms": {"limit": 1, "is_enabled": True}, "additional_ips": {"limit": 0, "is_enabled": False}}
    requests_mock.get(API + "limit_groups", [
        {"json": page([lg, dict(lg, id=2)], 1, 3)},
        {"json": page([dict(lg, id=3)], 2, 3)},
        {"json": page([dict(lg, id=4)], 3, 3)},
    ])
    it = client.limit_groups()
    first = next(it)
    assert first.id == 1 and first.vms.limit == 1 and first.additional_ips.is_enabled is False
    assert requests_mock.call_count == 1
    assert [g.id for g in it] == [2, 3, 4]
    assert requests_mock.call_count == 3
    assert [r.qs["page"] for r in requests_mock.request_history] == [["1"], ["2"], ["3"]]

    body = page([lg], 1, 9)
    body["links"]["next"] = None
    requests_mock.get(API + "plans", json={"data": [], "links": {"next": None}, "meta": {}})
    requests_mock.get(API + "limit_groups", json=body)
    assert len(list(client.limit_groups())) == 1


def test_set_user_status_validates_before_sending(client, requests_mock):
    with pytest.raises(ValueError, match="active, locked, suspended"):
        client.set_user_status(1, "banned")
    assert requests_mock.call_count == 0


def test_usage_request_and_parsing(client, requests_mock):
    requests_mock.get(API + "users/12/usage", json={"data": {
        "user_id": 12, "from": "2026-07-01T00:00:00Z", "to": "2026-08-01T00:00:00Z", "total_tokens": 5600,
        "items": [
            {"type": "server", "server_id": 3, "server_uuid": "u-3", "name": "web-1",
             "plan": {"id": 1, "name": "Small", "tokens_per_hour": 7, "tokens_per_month": 5000},
             "from": "2026-07-01T00:00:00Z", "to": "2026-07-30T04:00:00Z", "hours": 700, "tokens": 4900,
             "capped": False},
            {"type": "additional_ip", "server_id": 3, "server_uuid": "u-3", "name": "web-1",
             "plan": {"id": 1, "name": "Small", "tokens_per_hour": 1, "tokens_per_month": 700},
             "from": "2026-07-01T00:00:00Z", "to": "2026-07-30T04:00:00Z", "hours": 700, "tokens": 700},
        ]}})
    start = datetime(2026, 7, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    usage = client.usage(12, start, datetime(2026, 8, 1, tzinfo=timezone.utc))
    qs = requests_mock.last_request.qs  # requests-mock lowercases the query values
    assert qs["filter[from]"] == ["2026-07-01t00:00:00z"] and qs["filter[to]"] == ["2026-08-01t00:00:00z"]
    assert usage.total_tokens == 5600 and usage.user_id == 12
    assert usage.start == datetime(2026, 7, 1, tzinfo=timezone.utc)
    a, b = usage.items
    assert (a.type, a.tokens, a.hours, a.capped, a.plan.tokens_per_month) == ("server", 4900, 700, False, 5000)
    assert (b.type, b.tokens, b.capped) == ("additional_ip", 700, None)
    assert isinstance(a.tokens, int)

    with pytest.raises(ValueError, match="timezone-aware"):
        client.usage(12, datetime(2026, 7, 1), datetime(2026, 8, 1))

    requests_mock.get(API + "users/13/usage", json={"data": {
        "user_id": 13, "total_tokens": 1, "items": [{"type": "disk", "tokens": 1}]}})
    with pytest.raises(SolusioBadResponse, match="unknown type 'disk'"):
        client.usage(13, start, datetime(2026, 8, 1, tzinfo=timezone.utc))
    requests_mock.get(API + "users/14/usage", json={"data": {
        "user_id": 14, "total_tokens": "1.5", "items": []}})
    with pytest.raises(SolusioBadResponse, match="not an integer"):
        client.usage(14, start, datetime(2026, 8, 1, tzinfo=timezone.utc))


def test_login_url_quotes_the_token_and_uses_the_installation_url(requests_mock):
    c = SolusioClient("https://solus.example.com/panel/api/v1/", KEY)
    assert c.login_url("a b/+=") == "https://solus.example.com/panel/auth/by-token?token=a%20b%2F%2B%3D"
    assert c.login_url("t", "{url}/sso/{token}") == "https://solus.example.com/panel/sso/t"


def test_secrets_never_leak(requests_mock, caplog):
    caplog.set_level(logging.DEBUG)
    billing_secret = "billing-SECRET-9876"
    c = SolusioClient(BASE, KEY, retries=1, backoff=0)
    assert KEY not in repr(c) and KEY not in str(c) and KEY not in repr(vars(c)) and KEY not in repr(vars(c._t))
    requests_mock.get(API + "account", status_code=401, json={"message": f"Token {KEY} is unknown"})
    requests_mock.patch(API + "settings", status_code=422,
                        json={"message": f"bad token {billing_secret}", "errors": {"token": [billing_secret]}})
    requests_mock.get(API + "users/1", exc=requests.exceptions.ConnectionError(f"boom {KEY}"))
    requests_mock.post(API + "users", status_code=422, text=f"password {KEY}-pw rejected")
    requests_mock.get(API + "users", json=page([], 1, 1))
    caught: list[SolusioError] = []
    for call in (c.test_connection, lambda: c.configure_billing_integration("https://h/", billing_secret),
                 lambda: c.get_user(1), lambda: c.create_user("x@example.com", KEY + "-pw")):
        with pytest.raises(SolusioError) as ei:
            call()
        caught.append(ei.value)
    assert len(caught) == 4
    for exc in caught:
        for text in (str(exc), repr(exc), repr(vars(exc)), exc.detail or ""):
            assert KEY not in text and billing_secret not in text
        assert exc.__cause__ is None
    assert "***" in str(caught[1]) and "***" in caught[3].raw_body
    assert caplog.records, "expected log records from the failing calls"
    assert KEY not in caplog.text and billing_secret not in caplog.text


def test_billing_integration_arguments_are_checked(client, requests_mock):
    with pytest.raises(ValueError):
        client.configure_billing_integration("billing.example.com", "t")
    with pytest.raises(ValueError):
        client.configure_billing_integration("https://billing.example.com/", "")
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("typed, api", [
    ("https://solus.example.com", "https://solus.example.com/api/v1/"),
    ("https://solus.example.com/", "https://solus.example.com/api/v1/"),
    ("  https://solus.example.com/ \n", "https://solus.example.com/api/v1/"),
    ("https://solus.example.com/api/v1", "https://solus.example.com/api/v1/"),
    ("https://solus.example.com/api/v1/", "https://solus.example.com/api/v1/"),
    ("https://solus.example.com/API/V1//", "https://solus.example.com/api/v1/"),
    ("HTTPS://Solus.Example.COM:8443", "https://solus.example.com:8443/api/v1/"),
    ("http://10.0.0.5:8080/", "http://10.0.0.5:8080/api/v1/"),
    ("https://example.com/solus/", "https://example.com/solus/api/v1/"),
    ("https://example.com/solus/api/v1/", "https://example.com/solus/api/v1/"),
    ("https://solus.example.com/#/servers", "https://solus.example.com/api/v1/"),
    ("https://[::1]:8443", "https://[::1]:8443/api/v1/"),
])
def test_base_url_normalisation(typed, api):
    from solusio_addon.solusio_api import installation_url, normalize_base_url

    assert normalize_base_url(typed) == api
    assert installation_url(api) == api[: -len("/api/v1/")]


@pytest.mark.parametrize("typed, words", [
    ("solus.example.com", "has no scheme: write it in full, e.g. https://solus.example.com"),
    ("ftp://solus.example.com", "must start with https://"),
    ("", "is empty"),
    ("   ", "is empty"),
    ("https://", "has no host name"),
    ("https://solus example.com", "contains spaces"),
    ("https://solus.example.com:99999", "not a valid URL"),
])
def test_unusable_urls_are_refused_with_a_sentence(typed, words):
    from solusio_addon.solusio_api import SolusioConfigError

    with pytest.raises(SolusioConfigError) as ei:
        SolusioClient(typed, KEY)
    assert words in str(ei.value)
    assert KEY not in str(ei.value)


def test_missing_ca_bundle_and_empty_key_are_refused():
    from solusio_addon.solusio_api import SolusioConfigError

    with pytest.raises(SolusioConfigError, match="CA bundle file"):
        SolusioClient(BASE, KEY, verify="/nonexistent/ca.pem")
    with pytest.raises(SolusioConfigError, match="API key is empty"):
        SolusioClient(BASE, "  ")


def test_paging_that_ignores_the_page_parameter_does_not_loop(client, requests_mock):
    requests_mock.get(API + "plans", json=page([{"id": 1, "name": "p"}], 1, 3))
    with pytest.raises(SolusioBadResponse, match="answered page 1 when asked for page 2"):
        list(client.plans())
    assert requests_mock.call_count == 2
