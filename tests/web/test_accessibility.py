"""axe-core over every admin and client page (logged out and in) at a desktop and a phone width,
in headless Chromium against a live server with the SolusIO addon and the simulator. Zero serious
or critical violations are allowed, and at 390 px no page scrolls sideways (wide tables scroll
inside their own wrapper). Every GET route of the app is either visited or excluded with a reason,
so a new page cannot be forgotten."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from hostsim.db.models import AdminRole, EmailLog
from hostsim.services.bootstrap import create_admin
from hostsim.services.invoices import NewItem
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from tests.addon_admin.conftest import live_server, template_db  # noqa: F401 (fixtures)
from tests.addon_client.conftest import add_client, addon_host, bare_host, sim  # noqa: F401 (fixtures)
from tests.web.conftest import ADMIN_PASSWORD, CLIENT_PASSWORD

pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = pytest.mark.browser

WIDTHS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"
BLOCKING = {"serious", "critical"}

#: GET routes not visited, each with why.
EXCLUDED = {
    "static": "stylesheets and scripts, not pages",
    "theme.asset": "theme stylesheets and images, not pages",
    "admin.invoice_pdf": "a PDF, not HTML",
    "client.invoice_pdf": "a PDF, not HTML",
    "client.logout": "logs out and redirects",
    "admin.gateway_deactivate": "a confirmation step reached from Payment Gateways with an active gateway",
    "payments.callback": "a gateway's server-to-server callback",
    "gateway_sandbox.pay": "the sandbox gateway's page, reached only with a signed payment request",
    "solusio.prices": "JSON for scripts",
    "solusio.follow_sso": "redirects into SolusIO",
    "solusio.client_area.signup_complete": "needs the token from a signup email (covered by the signup journey)",
    "admin.addon_page": "the same pages as addonmodules.php?module=..., visited there",
    "addons.addon_page": "the same pages as index.php?m=..., visited there",
}

PUBLIC = ("/", "/login", "/register", "/store", "/contact", "/index.php?m=solusio")
CLIENT = ("/", "/clientarea", "/clientarea/details", "/clientarea/invoices", "/clientarea/invoices/{invoice}",
          "/store", "/contact", "/index.php?m=solusio", "/index.php?m=solusio&action=usage")
ADMIN = ("/admin/", "/admin/activity", "/admin/addonmodules", "/admin/clients", "/admin/clients/{client}",
         "/admin/emails", "/admin/emails/{email}", "/admin/gateways", "/admin/gateways/log", "/admin/invoices",
         "/admin/invoices/{invoice}", "/admin/profile", "/admin/settings",
         "/admin/addonmodules.php?module=solusio", "/admin/addonmodules.php?module=solusio&tab=billing",
         "/admin/addonmodules.php?module=solusio&tab=postpay",
         "/admin/addonmodules.php?module=solusio&tab=settings", "/admin/addonmodules/solusio/deactivate")
ADMIN_LOGGED_OUT = ("/admin/login",)


def _endpoint_of(app: Any, url: str) -> str:
    path = url.split("?", 1)[0]
    endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    return str(endpoint)


def _summary(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in violations if v.get("impact") in BLOCKING]


@pytest.fixture
def site(addon_host, sim, live_server):  # type: ignore[no-untyped-def]  # noqa: F811
    create_admin(addon_host, "boss", "boss@example.com", ADMIN_PASSWORD)
    client_id = add_client(addon_host, "ada@example.com")
    user = sim.state.add_user("ada@example.com", billing_user_id=client_id)
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=client_id, solusio_user_id=user.id, status=EnrolmentStatus.ACTIVE,
                        created_at=addon_host.clock.now()))
    invoice = addon_host.invoices.create_invoice(client_id=client_id, items=[NewItem("Hosting", Decimal("10.00"))])
    with addon_host.transaction() as s:
        roles = list(s.scalars(select(AdminRole.id).where(AdminRole.name == "Full Administrator")))
        logged = EmailLog(created_at=addon_host.clock.now(), client_id=client_id, to="ada@example.com",
                          subject="Invoice #1", body_text="Hello Ada,\nYour invoice is ready.")
        s.add(logged)
        s.flush()
        email = logged.id
    addon_host.lifecycle.set_access("solusio", roles)
    app = live_server.serve(addon_host)
    ids = {"client": client_id, "invoice": invoice, "email": email}
    return app, live_server.url, ids


def test_every_page_has_no_serious_axe_violation_and_no_sideways_scroll(browser, site) -> None:  # type: ignore[no-untyped-def]
    app, base, ids = site
    pages = {"public": PUBLIC + ADMIN_LOGGED_OUT, "client": CLIENT, "admin": ADMIN}
    visited = {_endpoint_of(app, url.format(**ids)) for urls in pages.values() for url in urls}
    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    forgotten = gets - visited - set(EXCLUDED)
    assert not forgotten, f"GET routes neither visited nor excluded: {sorted(forgotten)}"
    axe = axe_sync.Axe()
    failures: list[str] = []
    counts: dict[str, int] = {}
    for viewport in WIDTHS:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(15_000)
        page = context.new_page()
        for who, urls in pages.items():
            if who == "client":
                page.goto(base + "/login")
                page.fill("input[name=email]", "ada@example.com")
                page.fill("input[name=password]", CLIENT_PASSWORD)
                page.click("form button[type=submit]")
                page.wait_for_url(base + "/clientarea")
            elif who == "admin":
                page.goto(base + "/admin/login")
                page.fill("input[name=username]", "boss")
                page.fill("input[name=password]", ADMIN_PASSWORD)
                page.click("form button[type=submit]")
                page.wait_for_url(base + "/admin/")
            for url in urls:
                url = url.format(**ids)
                response = page.goto(base + url)
                label = f"{viewport['width']}px {who} {url}"
                assert response is not None and response.status == 200, f"{label}: {response and response.status}"
                blocking = _summary(axe.run(page).response["violations"])
                counts[label] = len(blocking)
                failures += [f"{label}: {line}" for line in blocking]
                if viewport["width"] < 500 and not page.evaluate(NO_OVERFLOW):
                    failures.append(f"{label}: the page scrolls sideways")
        context.close()
    for label, count in counts.items():
        print(f"axe serious/critical on {label}: {count}")
    assert not failures, "\n".join(failures)
