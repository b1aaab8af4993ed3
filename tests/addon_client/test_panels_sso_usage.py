"""Homepage panels per enrolment status, SSO into SolusIO, the usage page, email changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from hostsim.clock import clock
from hostsim.db.models import ActivityLog, Client
from hostsim.services.clients import ClientError, update_client
from hostsim.services.invoices import NewItem
from solusio_addon.clientarea.email_sync import EMAIL_REFUSED_MARK, EMAIL_SYNC_MARK, retry_email_syncs
from solusio_addon.db.models import (
    BilledPeriod,
    Enrolment,
    EnrolmentStatus,
    PeriodOutcome,
)
from tests.addon_client.conftest import LANDING, add_client, csrf_of, enrol, enrolments, login


def panel(html: str) -> str:
    start = html.index('<section class="panel" data-name="Cloud Hosting"')
    return html[start:html.index("</section>", start)]


def test_panels_per_status(app, addon_host, sim):
    add_client(addon_host, "none@example.com")
    enrol(addon_host, sim, "active@example.com")
    enrol(addon_host, sim, "pending@example.com", EnrolmentStatus.PENDING)
    locked_id = add_client(addon_host, "locked@example.com")
    invoice_id = addon_host.invoices.create_invoice(client_id=locked_id, items=[NewItem("Cloud usage", Decimal("12.34"))],
                                                    invoice_date=date(2026, 6, 1), due_date=date(2026, 6, 15))
    user = sim.state.add_user("locked@example.com", billing_user_id=locked_id, status="locked")
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=locked_id, solusio_user_id=user.id, status=EnrolmentStatus.LOCKED,
                        status_invoice_id=invoice_id, created_at=addon_host.clock.now()))
    expectations = {
        "none@example.com": ("Learn more and sign up", "Log in to SolusIO"),
        "active@example.com": ("Log in to SolusIO", "Learn more and sign up"),
        "pending@example.com": ("being set up", "Log in to SolusIO"),
        "locked@example.com": (f"invoice #{invoice_id} ($12.34) is overdue since Jun 15, 2026", "being set up"),
    }
    for email, (present, absent) in expectations.items():
        c = app.test_client()
        login(c, email)
        body = panel(c.get("/clientarea").get_data(as_text=True))
        assert present in body and absent not in body, (email, body)
    assert f'href="/clientarea/invoices/{invoice_id}">Pay invoice #{invoice_id}' in body
    assert "Log in to SolusIO" in body  # locked users may still log in


def test_sso_is_a_csrf_protected_post_for_the_own_enrolment(app, addon_host, sim):
    enrol(addon_host, sim, "active@example.com")
    anon = app.test_client()
    assert anon.get("/modules/addons/solusio/sso").status_code == 405
    assert anon.post("/modules/addons/solusio/sso").status_code == 400  # no CSRF token
    c = app.test_client()
    login(c, "active@example.com")
    assert c.post("/modules/addons/solusio/sso").status_code == 400  # logged in, still no token
    token = csrf_of(c.get("/clientarea").data)
    response = c.post("/modules/addons/solusio/sso", data={"csrf_token": token, "user_id": "999"})
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target.startswith(sim.url + "/auth/by-token?token=")
    first = requests.get(target, timeout=5)
    assert first.status_code == 200 and "Logged in as active@example.com" in first.text
    assert requests.get(target, timeout=5).status_code == 401  # one time only


def test_sso_refused_without_an_enrolment_and_friendly_when_solusio_fails(app, addon_host, sim):
    enrol(addon_host, sim, "active@example.com")
    add_client(addon_host, "other@example.com")
    other = app.test_client()
    login(other, "other@example.com")
    refused = other.post("/modules/addons/solusio/sso", data={"csrf_token": csrf_of(other.get(LANDING).data)})
    assert refused.status_code == 403 and "no active cloud hosting" in refused.get_data(as_text=True)
    c = app.test_client()
    login(c, "active@example.com")
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    failed = c.post("/modules/addons/solusio/sso", data={"csrf_token": csrf_of(c.get("/clientarea").data)})
    html = failed.get_data(as_text=True)
    assert failed.status_code == 502 and "We could not log you in to the cloud control panel" in html
    assert "Traceback" not in html and sim.url not in html


def test_anonymous_sso_goes_to_login(app, addon_host, sim):
    anon = app.test_client()
    token = csrf_of(anon.get(LANDING).data)
    response = anon.post("/modules/addons/solusio/sso", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_email_change_is_applied_in_solusio_before_the_host_commits_it(app, addon_host, api, sim):
    client_id, user_id = enrol(addon_host, sim, "active@example.com")
    update_client(addon_host, client_id, email="new@example.com")
    assert sim.state.get_user(user_id).email == "new@example.com"
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    with pytest.raises(ClientError) as refused:  # SolusIO down: refused, never half-applied
        update_client(addon_host, client_id, email="newer@example.com")
    assert refused.value.field == "email" and "try again" in refused.value.message
    sim.faults.reset()
    assert sim.state.get_user(user_id).email == "new@example.com"
    with addon_host.sessions() as s:
        assert s.get(Client, client_id).email == "new@example.com"
    assert enrolments(addon_host)[0].last_error == ""


def test_a_change_left_pending_by_an_earlier_version_is_retried_then_reported_once_if_refused(app, addon_host, api, sim):
    client_id, user_id = enrol(addon_host, sim, "old@example.com")
    sim.state.add_user("taken@example.com")
    with addon_host.transaction() as s:  # as an earlier version left it: host changed, SolusIO not yet
        s.get(Client, client_id).email = "moved@example.com"
        s.scalars(select(Enrolment)).one().last_error = EMAIL_SYNC_MARK + "SolusIO did not answer"
    assert retry_email_syncs(api) == (1, 0)
    assert sim.state.get_user(user_id).email == "moved@example.com"
    assert enrolments(addon_host)[0].last_error == ""
    with addon_host.transaction() as s:
        s.get(Client, client_id).email = "taken@example.com"
        s.scalars(select(Enrolment)).one().last_error = EMAIL_SYNC_MARK + "SolusIO did not answer"
    assert retry_email_syncs(api) == (0, 1)
    assert enrolments(addon_host)[0].last_error.startswith(EMAIL_REFUSED_MARK)
    assert retry_email_syncs(api) == (0, 0)  # a 422 is final: not retried again
    with addon_host.sessions() as s:
        refusals = [e.description for e in s.scalars(select(ActivityLog)) if "refused client" in e.description]
    assert len(refusals) == 1 and "taken@example.com" in refusals[0]

def test_usage_page_shows_this_month_and_past_invoices(app, addon_host, sim):
    now = datetime(2026, 8, 11, 12, 0, tzinfo=UTC)
    clock.set_now(now)
    sim.state.clock.set(now)
    client_id, user_id = enrol(addon_host, sim, "active@example.com")
    small = next(p for p in sim.state.plans.values() if p.name == "Small")
    sim.state.add_server(user_id, small.id, name="web-1", created_at=datetime(2026, 8, 1, 0, 0, tzinfo=UTC))
    invoice_id = addon_host.invoices.create_invoice(client_id=client_id, items=[NewItem("July usage", Decimal("4.90"))],
                                                    invoice_date=date(2026, 8, 1), due_date=date(2026, 8, 15))
    with addon_host.transaction() as s:
        s.add(BilledPeriod(client_id=client_id, solusio_user_id=user_id, period_start=date(2026, 7, 1),
                           period_end=date(2026, 8, 1), outcome=PeriodOutcome.INVOICED, invoice_id=invoice_id,
                           currency_code="USD", token_price=Decimal("0.0010"), total_tokens=4900, created_at=now))
    c = app.test_client()
    login(c, "active@example.com")
    html = c.get("/index.php?m=solusio&action=usage").get_data(as_text=True)
    # 10 days and 12 hours = 252 h x 7 tokens = 1764 tokens x $0.0010 = $1.764 -> $1.76
    assert "<td>web-1</td><td>Small</td><td class=\"num\">252</td><td class=\"num\">1,764</td><td class=\"num\">$1.76</td>" in html, html
    assert f'href="/clientarea/invoices/{invoice_id}">Invoice #{invoice_id}</a>: July 2026, $4.90' in html
    menu = c.get("/clientarea").get_data(as_text=True)
    assert 'href="/index.php?m=solusio&amp;action=usage">Cloud Usage</a>' in menu
    assert app.test_client().get("/index.php?m=solusio&action=usage").status_code == 302  # login first
