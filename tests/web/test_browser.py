"""Headless Chromium over a real server: the admin and client journeys, on a phone and a desktop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from hostsim.db.models import Client
from hostsim.services.invoices import NewItem
from hostsim.web import create_app
from tests.web.conftest import ADMIN_PASSWORD, CLIENT_PASSWORD, activate

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def server(web_host) -> Iterator[str]:
    """The app served by a real threaded HTTP server on a free port."""
    httpd = make_server("127.0.0.1", 0, create_app(web_host), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors


def test_admin_activates_configures_and_opens_the_addon(page, server, web_host, tmp_path):
    expect = playwright_api.expect
    page.goto(server + "/admin/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button:has-text('Login')")
    expect(page.locator("h1")).to_have_text("Dashboard")

    page.click("nav.side >> text=Addon Modules")
    card = page.locator("#addon-demo")
    expect(card.locator(".addon-status")).to_have_text("Inactive")
    card.locator("button:has-text('Activate')").click()
    expect(page.locator(".alert-success")).to_contain_text("Demo Addon is ready to use")
    card = page.locator("#addon-demo")
    expect(card.locator(".addon-status")).to_have_text("Active")

    form = card.locator("form.config-form")
    expect(form).to_be_visible()  # Configure opens right after activation
    form.get_by_label("Full Administrator").check()
    form.get_by_label("Support Operator").check()
    form.get_by_label("API User").fill("operator")
    form.get_by_label("API Secret").fill("Browser-Secret-9")
    form.get_by_label("Enabled").uncheck()
    form.get_by_label("Mode").select_option("test")
    form.locator("input[name=cfg_colour][value=blue]").check()
    form.locator("button:has-text('Save Changes')").click()
    expect(page.locator(".alert-success")).to_contain_text("Demo Addon: changes saved")
    assert "Browser-Secret-9" not in page.content()

    settings = web_host.addon_settings.get_all("demo")
    assert (settings["api_user"], settings["api_secret"], settings["enabled"], settings["mode"], settings["colour"]) == (
        "operator", "Browser-Secret-9", "", "test", "blue")
    assert len(web_host.lifecycle.access_role_ids("demo")) == 2

    page.click("nav.side >> text=Demo Addon")
    expect(page.locator(".demo-output h2")).to_have_text("Demo admin page")
    expect(page.locator(".demo-output")).to_contain_text("User: operator")
    expect(page.locator(".demo-sidebar")).to_be_visible()
    page.screenshot(path=str(tmp_path / "admin-addon-desktop.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.goto(server + "/admin/addonmodules")
    assert page.evaluate(NO_OVERFLOW)
    expect(page.locator(".side-menu")).to_be_hidden()  # the admin menu folds away on a phone
    page.click("label.menu-toggle-label")
    expect(page.locator(".side-menu >> text=Demo Addon")).to_be_visible()
    page.screenshot(path=str(tmp_path / "admin-addonmodules-phone.png"), full_page=True)


def test_client_registers_sees_panels_and_opens_an_invoice(page, server, web_host, tmp_path):
    expect = playwright_api.expect
    activate(web_host)
    page.set_viewport_size(PHONE)
    page.goto(server + "/")
    assert page.evaluate(NO_OVERFLOW)
    expect(page.locator(".site-nav")).to_be_hidden()  # collapsed on a phone
    page.click("label.nav-toggle-label")
    expect(page.locator(".site-nav")).to_be_visible()
    page.click(".site-nav summary:has-text('Account')")
    page.click(".site-nav >> text=Register")

    page.fill("#f-first_name", "Ada")
    page.fill("#f-last_name", "Lovelace")
    page.fill("#f-company", "Engines Ltd")
    page.fill("#f-email", "ada@example.com")
    page.fill("#f-password", "weak")
    page.click("button:has-text('Register')")
    expect(page.locator("#e-password")).to_contain_text("at least 10 characters")
    expect(page.locator("#f-email")).to_have_value("ada@example.com")
    page.fill("#f-password", CLIENT_PASSWORD)
    page.click("button:has-text('Register')")
    expect(page.locator("h1.page-title")).to_have_text("Welcome, Ada")

    with web_host.sessions() as s:
        client_id = s.scalars(select(Client.id).where(Client.email == "ada@example.com")).one()
    invoice_id = web_host.invoices.create_invoice(client_id=client_id,
                                                  items=[NewItem("Cloud server, July", Decimal("12.34"))])
    page.reload()
    panels = page.locator(".panel")
    expect(panels).to_have_count(2)
    expect(panels.nth(0).locator("h2")).to_have_text("Demo Cloud")  # the addon's panel, order 5
    expect(panels.nth(1)).to_contain_text("You have 1 unpaid invoice.")
    assert page.evaluate(NO_OVERFLOW)
    page.screenshot(path=str(tmp_path / "clientarea-phone.png"), full_page=True)

    page.click("label.nav-toggle-label")
    page.click(".site-nav summary:has-text('Website & Security')")
    expect(page.locator(".site-nav >> text=Demo Cloud")).to_be_visible()
    page.click(".site-nav summary:has-text('Billing')")
    page.click(".site-nav >> text=My Invoices")
    status = page.locator(f"tr:has(a[href='/clientarea/invoices/{invoice_id}']) td[data-label=Status]")
    box = status.bounding_box()  # the invoice list's last column, in view on a phone
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    page.click(f"a[href='/clientarea/invoices/{invoice_id}']")
    expect(page.locator(".invoice h1")).to_have_text(f"Invoice #{invoice_id}")
    expect(page.locator(".invoice")).to_contain_text("Cloud server, July")
    expect(page.locator(".invoice tr.total")).to_contain_text("$12.34")
    assert page.evaluate(NO_OVERFLOW)
    # On a phone every line is a card and every total in view: nothing hides to the right.
    for cell in (".invoice-lines td[data-label=Amount]", ".invoice tr.total td", ".invoice tr.balance td"):
        box = page.locator(cell).first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], (cell, box)
    assert page.evaluate("document.querySelector('.invoice-lines').closest('.table-wrap').scrollWidth"
                         " <= document.querySelector('.invoice-lines').closest('.table-wrap').clientWidth")
    page.screenshot(path=str(tmp_path / "invoice-phone.png"), full_page=True)

    page.set_viewport_size(DESKTOP)
    page.goto(server + "/clientarea")
    expect(page.locator(".site-nav")).to_be_visible()
    expect(page.locator("label.nav-toggle-label")).to_be_hidden()
    assert page.evaluate(NO_OVERFLOW)
    boxes = [panels.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"]  # side by side on a desktop
    page.screenshot(path=str(tmp_path / "clientarea-desktop.png"), full_page=True)
    assert (tmp_path / "clientarea-desktop.png").stat().st_size > 10_000
