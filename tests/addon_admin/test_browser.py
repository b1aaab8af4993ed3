"""An admin in headless Chromium: activate, grant access, connect (wrong key first), post-pay
settings, token prices; an admin of a role without access is refused."""

from __future__ import annotations

from typing import Callable

import pytest

import solusio_addon.plugin
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_sim import SimServer

from .conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button:has-text('Login')")
    page.wait_for_url(lambda url: "/admin/login" not in url)


def test_admin_walkthrough(browser, make_host: Callable[..., Host], sim: SimServer, live_server) -> None:  # type: ignore[no-untyped-def]
    host = make_host(("solusio", solusio_addon.plugin))
    api = host.addon_api  # what the addon's own functions are given
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    create_admin(host, "helper", "helper@example.com", ADMIN_PASSWORD, role="Support Operator")
    live_server.serve(host)
    base = live_server.url
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, base, "boss")

    # Activate, then Configure: tick the role group, Save Changes
    page.goto(base + "/admin/addonmodules")
    addon = page.locator("#addon-solusio")
    addon.locator("button", has_text="Activate").click()
    page.wait_for_load_state()
    assert host.lifecycle.is_active("solusio")
    addon = page.locator("#addon-solusio")
    addon.get_by_label("Full Administrator").check()
    addon.locator("button", has_text="Save Changes").click()
    page.wait_for_load_state()
    assert "Full Administrator can now open SolusIO." in page.content()

    # The sidebar links to the addon; first visit is the connect page
    page.locator("nav.side a", has_text="SolusIO").click()
    page.wait_for_load_state()
    assert page.locator("#solusio-connect").is_visible()
    page.fill("#solusio-url", sim.url)
    page.fill("#solusio-api-key", "wrong-key-123")
    page.click("button:has-text('Test Connection')")
    page.wait_for_load_state()
    assert "The API key was refused" in page.locator("#connect-message").inner_text()
    assert page.input_value("#solusio-api-key") == ""
    assert not addon_settings.load_connection(api).connected
    page.fill("#solusio-api-key", sim.admin_token)
    page.click("button:has-text('Test Connection')")
    page.wait_for_selector("nav.solusio-tabs")
    assert "Connected." in page.locator("#saved-message").inner_text()
    assert sim.state.billing_driver() == (base + "/modules/addons/solusio/api/",
                                          addon_settings.load_connection(api).integration_secret)

    # Post-Pay tab: suspension before locking is refused, then saved
    page.click("nav.solusio-tabs a[data-tab=postpay]")
    page.wait_for_selector("#solusio-postpay")
    page.select_option("#pp-limit-group", label="Business")
    page.fill("#pp-terms", "https://example.com/post-pay-terms")
    page.fill("#pp-grace_days", "10")
    page.fill("#pp-lock_days", "5")
    page.fill("#pp-suspend_days", "3")
    page.click("#solusio-postpay button:has-text('Save Changes')")
    page.wait_for_selector("#postpay-message")
    assert "cannot come before locking" in page.locator("[data-field=suspend_days]").inner_text()
    assert addon_settings.load_postpay(api).grace_days == 14
    page.fill("#pp-suspend_days", "20")
    page.click("#solusio-postpay button:has-text('Save Changes')")
    page.wait_for_selector("#saved-message")
    pp = addon_settings.load_postpay(api)
    assert (pp.limit_group_name, pp.grace_days, pp.lock_days, pp.suspend_days) == ("Business", 10, 5, 20)

    # Settings tab: a five-place price is refused with the field named; then both saved
    page.click("nav.solusio-tabs a[data-tab=settings]")
    page.wait_for_selector("#solusio-pricing")
    assert page.locator("#price-warning").is_visible()
    page.fill("#price_USD", "0.00105")
    page.fill("#price_EUR", "0.0009")
    page.click("button:has-text('Save Prices')")
    page.wait_for_selector("#prices-message")
    assert "Token price (USD): at most 4 decimal places" in page.locator("[data-field=price_USD]").inner_text()
    assert all(r.price is None for r in pricing.active_prices(api))
    page.fill("#price_USD", "0.0010")
    page.click("button:has-text('Save Prices')")
    page.wait_for_selector("#saved-message")
    assert page.locator("#price-warning").count() == 0
    assert {r.code: str(r.price) for r in pricing.active_prices(api)} == {"USD": "0.0010", "EUR": "0.0009"}
    assert sim.admin_token not in page.content()
    context.close()

    # A Support Operator (role without access) is refused
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "helper")
    response = page.goto(base + "/admin/addonmodules.php?module=solusio")
    assert response is not None and response.status == 403
    assert "Access Denied" in page.content()
    context.close()
