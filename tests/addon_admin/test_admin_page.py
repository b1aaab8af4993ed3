"""The admin page through the host web app (Flask test client, CSRF on)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.db.models import ActivityLog
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_sim import SimServer

from .conftest import PAGE, grant_access, login_admin, page_csrf


def connect_via_page(client: FlaskClient, sim: SimServer, key: str | None = None) -> FlaskClient:
    resp = client.post(PAGE, data={"csrf_token": page_csrf(client), "action": "connect", "url": sim.url,
                                   "api_key": key or sim.admin_token, "tls_mode": "verify"})
    return resp


def test_first_visit_shows_the_connect_page(admin_client: FlaskClient) -> None:
    html = admin_client.get(PAGE).get_data(as_text=True)
    assert "Connect to SolusIO" in html and "Test Connection" in html
    assert 'name="url"' in html and 'name="api_key"' in html
    assert "solusio-tabs" not in html


def test_wrong_key_then_right_key(admin_client: FlaskClient, api: AddonHost, sim: SimServer) -> None:
    resp = connect_via_page(admin_client, sim, key="wrong-key-123")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "The API key was refused" in html and "Nothing was saved" in html
    assert "wrong-key-123" not in html  # the typed key is not echoed
    assert f'name="url" value="{sim.url}"' in html  # the URL is kept in the form
    assert not addon_settings.load_connection(api).connected
    resp = connect_via_page(admin_client, sim)
    assert resp.status_code == 302 and "saved=connect" in resp.headers["Location"]
    html = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "solusio-tabs" in html and "Connected." in html and sim.state.ADMIN_EMAIL in html
    for tab in ("overview", "postpay", "settings"):
        page = admin_client.get(PAGE + "&tab=" + tab).get_data(as_text=True)
        assert sim.admin_token not in page
        assert addon_settings.load_connection(api).integration_secret not in page


def test_postpay_tab_lists_limit_groups_and_saves(admin_client: FlaskClient, api: AddonHost, sim: SimServer) -> None:
    connect_via_page(admin_client, sim)
    html = admin_client.get(PAGE + "&tab=postpay").get_data(as_text=True)
    assert "Starter" in html and "Business" in html
    business = next(g for g in sim.state.limit_groups.values() if g.name == "Business")
    form = {"csrf_token": page_csrf(admin_client, PAGE + "&tab=postpay"), "action": "postpay",
            "limit_group_id": str(business.id), "terms_url": "https://example.com/terms", "grace_days": "10",
            "lock_days": "5", "suspend_days": "20", "lookback_months": "3"}
    resp = admin_client.post(PAGE + "&tab=postpay", data=form)
    assert resp.status_code == 302
    saved = addon_settings.load_postpay(api)
    assert (saved.limit_group_id, saved.limit_group_name, saved.grace_days, saved.lock_days, saved.suspend_days) == \
        (business.id, "Business", 10, 5, 20)
    # suspension before locking is refused, nothing saved
    resp = admin_client.post(PAGE + "&tab=postpay", data={**form, "grace_days": "1", "lock_days": "9",
                                                           "suspend_days": "3"})
    html = resp.get_data(as_text=True)
    assert "cannot come before locking" in html and "Nothing was saved" in html
    assert addon_settings.load_postpay(api) == saved


def test_defaults(api: AddonHost) -> None:
    pp = addon_settings.load_postpay(api)
    assert (pp.grace_days, pp.lock_days, pp.suspend_days, pp.lookback_months, pp.limit_group_id, pp.terms_url) == \
        (14, 7, 14, 3, None, "")
    conn = addon_settings.load_connection(api)
    assert conn.tls_mode == "verify" and conn.login_url_template == "{url}/auth/by-token?token={token}"


def test_unreachable_solusio_keeps_the_saved_limit_group(admin_client: FlaskClient, api: AddonHost,
                                                         sim: SimServer) -> None:
    connect_via_page(admin_client, sim)
    starter = next(g for g in sim.state.limit_groups.values() if g.name == "Starter")
    form = {"action": "postpay", "limit_group_id": str(starter.id), "terms_url": "", "grace_days": "14",
            "lock_days": "7", "suspend_days": "14", "lookback_months": "3"}
    admin_client.post(PAGE, data={**form, "csrf_token": page_csrf(admin_client)})
    assert addon_settings.load_postpay(api).limit_group_name == "Starter"
    sim.faults.configure(error_rate=1.0)  # every API call fails with a 5xx now
    html = admin_client.get(PAGE + "&tab=postpay").get_data(as_text=True)
    assert "limit groups cannot be listed" in html and "Starter (saved)" in html
    # saving other fields keeps the group; another group cannot be checked and is refused
    resp = admin_client.post(PAGE, data={**form, "grace_days": "20", "csrf_token": page_csrf(admin_client)})
    assert resp.status_code == 302
    pp = addon_settings.load_postpay(api)
    assert (pp.limit_group_id, pp.limit_group_name, pp.grace_days) == (starter.id, "Starter", 20)
    resp = admin_client.post(PAGE, data={**form, "limit_group_id": str(starter.id + 1),
                                         "csrf_token": page_csrf(admin_client)})
    assert resp.status_code == 200 and "cannot be reached" in resp.get_data(as_text=True)
    assert addon_settings.load_postpay(api).limit_group_id == starter.id


@pytest.mark.parametrize("bad,message", [("0.00105", "at most 4 decimal places"), ("-1", "must not be negative"),
                                         ("abc", "not a plain decimal number"), ("1e3", "not a plain decimal number"),
                                         ("", "a value is required")])
def test_prices_refused_with_the_field_named(admin_client: FlaskClient, api: AddonHost, sim: SimServer,
                                             bad: str, message: str) -> None:
    connect_via_page(admin_client, sim)
    resp = admin_client.post(PAGE + "&tab=settings", data={"csrf_token": page_csrf(admin_client), "action": "prices",
                                                           "price_USD": "0.0010", "price_EUR": bad})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Token price (EUR)" in html and message in html
    assert all(r.price is None for r in pricing.active_prices(api))  # USD was valid but not saved


def test_prices_saved_and_new_currency_warned(admin_client: FlaskClient, api: AddonHost, sim: SimServer,
                                             add_gbp) -> None:  # type: ignore[no-untyped-def]
    connect_via_page(admin_client, sim)
    resp = admin_client.post(PAGE + "&tab=settings", data={"csrf_token": page_csrf(admin_client), "action": "prices",
                                                           "price_USD": "0.001", "price_EUR": " 0.0009 "})
    assert resp.status_code == 302
    assert {r.code: r.price for r in pricing.active_prices(api)} == \
        {"USD": Decimal("0.0010"), "EUR": Decimal("0.0009")}
    html = admin_client.get(PAGE + "&tab=settings").get_data(as_text=True)
    assert 'value="0.0010"' in html and "price-warning" not in html
    admin_client.post(PAGE + "&tab=settings", data={"csrf_token": page_csrf(admin_client), "action": "prices",
                                                    "price_USD": "0.0125", "price_EUR": "0.0009"})
    with api.sessions() as s:
        logged = list(s.scalars(select(ActivityLog.description).where(ActivityLog.description.like("SolusIO: token%"))
                                .order_by(ActivityLog.id)))
    assert set(logged[:2]) == {"SolusIO: token price for USD set to 0.0010", "SolusIO: token price for EUR set to 0.0009"}
    assert logged[2:] == ["SolusIO: token price for USD changed from 0.0010 to 0.0125"]  # EUR unchanged: not logged
    add_gbp()
    html = admin_client.get(PAGE + "&tab=overview").get_data(as_text=True)
    assert "price-warning" in html and "GBP cannot be invoiced" in html
    html = admin_client.get(PAGE + "&tab=settings").get_data(as_text=True)
    assert 'name="price_GBP" value=""' in html


def test_api_connection_panel_replaces_only_after_success(admin_client: FlaskClient, api: AddonHost,
                                                          sim: SimServer) -> None:
    connect_via_page(admin_client, sim)
    before = addon_settings.load_connection(api)
    with SimServer() as other:
        resp = admin_client.post(PAGE + "&tab=settings", data={
            "csrf_token": page_csrf(admin_client), "action": "connection", "url": other.url, "api_key": "nope",
            "tls_mode": "verify"})
        assert resp.status_code == 200 and "The API key was refused" in resp.get_data(as_text=True)
        assert addon_settings.load_connection(api) == before
        resp = admin_client.post(PAGE + "&tab=settings", data={
            "csrf_token": page_csrf(admin_client), "action": "connection", "url": other.url,
            "api_key": other.admin_token, "tls_mode": "verify"})
        assert resp.status_code == 302
        after = addon_settings.load_connection(api)
        assert after.url == other.url and after.api_key == other.admin_token
        assert after.integration_secret != before.integration_secret
        assert other.state.billing_driver()[1] == after.integration_secret


def test_post_without_csrf_is_refused(admin_client: FlaskClient, api: AddonHost, sim: SimServer) -> None:
    resp = admin_client.post(PAGE, data={"action": "connect", "url": sim.url, "api_key": sim.admin_token})
    assert resp.status_code == 400
    assert not addon_settings.load_connection(api).connected


def test_role_without_access_is_refused(addon_host: Host, app) -> None:  # type: ignore[no-untyped-def]
    create_admin(addon_host, "helper", "helper@example.com", "Admin-Pass-1234", role="Support Operator")
    grant_access(addon_host, "Full Administrator")
    client = app.test_client()
    login_admin(client, "helper")
    resp = client.get(PAGE)
    assert resp.status_code == 403 and "Access Denied" in resp.get_data(as_text=True)
    grant_access(addon_host, "Full Administrator", "Support Operator")
    assert client.get(PAGE).status_code == 200
