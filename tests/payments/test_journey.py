"""A locked SolusIO client pays in headless Chromium: client home -> the locked panel's link -> the
invoice -> Card (Sandbox) -> Pay Now -> the hosted page -> back on the invoice, Paid. The host is
served over real HTTP, SolusIO is the simulator (over HTTP), mail goes to a real SMTP server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from hostsim.clock import clock
from hostsim.db.models import Invoice, InvoiceStatus
from hostsim.host import Host
from solusio_addon.billing.automation import Automation
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient
from solusio_sim import SimServer
from tests.addon_client import conftest as solusio_fixtures
from tests.addon_client.conftest import CLIENT_PASSWORD, add_client, body_of, use_smtp
from tests.payments.conftest import SANDBOX_SECRET

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

# The SolusIO client-side fixtures: the addon connected to a simulator and priced, a served host, SMTP.
template_db = solusio_fixtures.template_db
_fresh_plan_cache = solusio_fixtures._fresh_plan_cache
sim = solusio_fixtures.sim
bare_host = solusio_fixtures.bare_host
addon_host = solusio_fixtures.addon_host
live_server = solusio_fixtures.live_server
smtp_server = solusio_fixtures.smtp_server

UTC = timezone.utc
AUG_1, LOCK_DAY = date(2026, 8, 1), date(2026, 8, 22)  # due 15 August (grace 14), locked 7 days after
RECEIPT = re.compile(r"^Invoice Payment Confirmation #(\d+)$")


@dataclass
class Locked:
    client_id: int
    user_id: int
    invoice_id: int
    email: str


def move_clocks(sim: SimServer, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    clock.set_now(moment)
    sim.state.clock.set(moment)


def automation(host: Host, sim: SimServer) -> Automation:
    solusio = SolusioClient(sim.url, sim.admin_token, retries=2, backoff=0.01)
    api = host.addon_api
    return Automation(api, solusio, policy_from_settings(api))  # type: ignore[arg-type]


def lock_a_client(host: Host, sim: SimServer, email: str) -> Locked:
    """An enrolled client runs a server in July; SolusioAutomation invoices it on 1 August and,
    the invoice unpaid, locks the SolusIO user on 22 August (the addon's own cron run)."""
    move_clocks(sim, date(2026, 7, 1))
    client_id = add_client(host, email, first="Lin", last="Locked")
    user = sim.state.add_user(email, billing_user_id=client_id)
    with host.transaction() as s:
        s.add(Enrolment(client_id=client_id, solusio_user_id=user.id, status=EnrolmentStatus.ACTIVE,
                        created_at=host.clock.now()))
    plan = next(p for p in sim.state.plans.values() if p.name == "Small")
    sim.state.add_server(user.id, plan.id, name="web-1", created_at=datetime(2026, 7, 1, tzinfo=UTC))
    for day in (AUG_1, LOCK_DAY):
        move_clocks(sim, day)
        report = automation(host, sim).run(day)
        assert not report.counters().get("failed"), report.counters()
    with host.sessions() as s:
        invoice_id = s.scalars(select(Invoice.id).where(Invoice.client_id == client_id)).one()
        assert s.get(Invoice, invoice_id).status is InvoiceStatus.UNPAID
    assert sim.state.get_user(user.id).status == "locked"
    return Locked(client_id, user.id, invoice_id, email)


@pytest.fixture
def shop(addon_host: Host, sim: SimServer, live_server, smtp_server) -> tuple[Host, str]:  # type: ignore[no-untyped-def]
    """The host with the sandbox card gateway and Bank Transfer active, mailing through SMTP, served."""
    use_smtp(addon_host, smtp_server)
    addon_host.payment_gateways.activate("banktransfer")
    addon_host.payment_gateways.activate("sandbox")
    addon_host.payment_gateways.configure("sandbox", settings={"secret": SANDBOX_SECRET})
    live_server.serve(addon_host)
    return addon_host, live_server.url


def open_invoice_from_the_locked_panel(browser, base: str, who: Locked):  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", who.email)
    page.fill("input[name=password]", CLIENT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(base + "/clientarea")
    panel = page.locator(".solusio-panel[data-status=locked]")
    expect(panel).to_contain_text("locked")
    expect(panel).to_contain_text(f"invoice #{who.invoice_id}")
    panel.get_by_role("link", name=f"Pay invoice #{who.invoice_id}").click()
    page.wait_for_url(f"{base}/clientarea/invoices/{who.invoice_id}")
    expect(page.locator(".invoice h1")).to_have_text(f"Invoice #{who.invoice_id}")
    expect(page.locator(".invoice-head")).to_contain_text("Overdue")
    return context, page


def pay_by_card(page, base: str, card: str) -> None:  # type: ignore[no-untyped-def]
    """Choose the sandbox card gateway by its name, Pay Now, and type ``card`` on the hosted page."""
    page.get_by_label("Payment Method").select_option(label="Card (Sandbox)")
    page.get_by_role("button", name="Pay Now").click()
    page.wait_for_url(f"{base}/modules/gateways/sandbox/pay?**")
    page.fill("#card_number", card)
    page.locator("form button[type=submit]").click()  # "Pay $N"; the result page returns by itself


def receipts(smtp_server) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    found = []
    for message in smtp_server.inbox.messages:
        match = RECEIPT.match(message["Subject"] or "")
        if match:
            found.append((message["To"], int(match.group(1)), body_of(message)))
    return found


def test_a_locked_client_pays_by_card_and_is_active_again(browser, shop, sim, smtp_server) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    host, base = shop
    who = lock_a_client(host, sim, "lin@example.com")
    assert receipts(smtp_server) == []
    context, page = open_invoice_from_the_locked_panel(browser, base, who)

    pay_by_card(page, base, "4242 4242 4242 4242")
    page.wait_for_url(f"{base}/clientarea/invoices/{who.invoice_id}?payment=done")
    expect(page.locator(".invoice-head")).to_contain_text("Paid")
    expect(page.locator(".payment-notice")).to_contain_text("your payment was received")
    expect(page.locator("section.invoice-payment")).to_have_count(0)  # nothing left to pay
    transactions = page.locator("table", has=page.locator("th", has_text="Transaction ID"))
    expect(transactions).to_contain_text("Card (Sandbox)")
    assert "sandbox" not in transactions.inner_text().replace("Card (Sandbox)", "")  # the human name only
    page.goto(base + "/clientarea")
    expect(page.locator(".solusio-panel")).to_have_attribute("data-status", "active")
    context.close()

    # SolusIO: the InvoicePaid hook reactivated the user at once
    assert sim.state.get_user(who.user_id).status == "active"
    with host.sessions() as s:
        assert s.scalars(select(Enrolment).where(Enrolment.client_id == who.client_id)).one().status \
            is EnrolmentStatus.ACTIVE
    # the payment, recorded under the gateway's human name, and the Gateway Log entry
    [payment] = host.payments.for_invoice(who.invoice_id)
    assert host.payment_gateways.display_name(payment.gateway) == "Card (Sandbox)"
    assert payment.transaction_id.startswith("sbx_")
    with host.sessions() as s:
        invoice = s.get(Invoice, who.invoice_id)
        assert invoice.status is InvoiceStatus.PAID and payment.amount == invoice.total
    entries, _total = host.gateway_callbacks.entries(gateway="sandbox")
    assert [(e.outcome, e.invoice_id, e.transaction_id) for e in entries] == [
        ("paid", who.invoice_id, payment.transaction_id)]
    assert SANDBOX_SECRET not in entries[0].raw
    # the receipt, delivered through the SMTP server
    [(to, invoice_id, body)] = receipts(smtp_server)
    assert (to, invoice_id) == (who.email, who.invoice_id)
    assert f"we received your payment for invoice #{who.invoice_id}" in body and "Card (Sandbox)" in body


def test_a_declined_card_leaves_the_invoice_unpaid_and_the_account_locked(browser, shop, sim,
                                                                           smtp_server) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    host, base = shop
    who = lock_a_client(host, sim, "dee@example.com")
    context, page = open_invoice_from_the_locked_panel(browser, base, who)

    pay_by_card(page, base, "4000 0000 0000 0002")
    page.wait_for_url(f"{base}/clientarea/invoices/{who.invoice_id}?payment=declined")
    notice = page.locator(".payment-notice")
    expect(notice).to_contain_text("declined")
    expect(notice).to_contain_text(f"invoice #{who.invoice_id} is still unpaid")
    expect(page.locator(".invoice-head")).to_contain_text("Overdue")
    expect(page.get_by_role("button", name="Pay Now")).to_be_visible()  # another try is one click away
    page.goto(base + "/clientarea")
    expect(page.locator(".solusio-panel")).to_have_attribute("data-status", "locked")
    context.close()

    assert sim.state.get_user(who.user_id).status == "locked"
    assert host.payments.for_invoice(who.invoice_id) == []
    with host.sessions() as s:
        assert s.get(Invoice, who.invoice_id).status is InvoiceStatus.UNPAID
    entries, _total = host.gateway_callbacks.entries(gateway="sandbox")
    assert [(e.outcome, e.invoice_id) for e in entries] == [("declined", who.invoice_id)]
    assert receipts(smtp_server) == []
