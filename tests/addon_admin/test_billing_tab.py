"""The Billing tab of the admin page: the last SolusioAutomation run from the host's cron
records, the enrolments (paginated) with the invoice behind a lock, and the exempt switch."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.clock import clock
from hostsim.cron.runner import CronRunner
from hostsim.db.models import ActivityLog, Client, Currency, Invoice
from hostsim.host import Host
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.pricing import save_prices
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_sim import SimServer

from .conftest import PAGE, page_csrf

TAB = PAGE + "&tab=billing"
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def connected(addon_host: Host, api: AddonHost, sim: SimServer) -> Host:
    addon_settings.save_connection(api, addon_settings.ConnectionSettings(url=sim.url, api_key=sim.admin_token))
    sim.state.clock.set(at("2026-08-01T00:30:00"))
    return addon_host


def currency_id(host: Host, code: str) -> int:
    with host.sessions() as s:
        return s.scalars(select(Currency.id).where(Currency.code == code)).one()


def enrol(host: Host, sim: SimServer, emails: list[str], *, currency: str = "USD",
          status: EnrolmentStatus = EnrolmentStatus.ACTIVE) -> list[tuple[int, int]]:
    """Clients (no password: they never log in here) with their SolusIO users, enrolled."""
    pairs = []
    with host.transaction() as s:
        for email in emails:
            client = Client(first_name="Test", last_name=email.split("@")[0], email=email, password_hash="!",
                            currency_id=currency_id(host, currency), created_at=at("2026-07-01T09:00:00"))
            s.add(client)
            s.flush()
            user = sim.state.add_user(email, billing_user_id=client.id)
            s.add(Enrolment(client_id=client.id, solusio_user_id=user.id, status=status,
                            created_at=at("2026-07-01T09:00:00")))
            pairs.append((client.id, user.id))
    return pairs


def cron(host: Host, day: date) -> None:
    clock.set_today(day)
    report = CronRunner(host, echo=lambda _m: None, echo_err=lambda _m: None).run("do", ["SolusioAutomation"])
    assert report.status_of("SolusioAutomation") in ("success", "failed")


def field(html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">(.*?)</dd>', html, re.S)
    assert match, f"no {name} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_before_any_run_the_tab_says_so(admin_client: FlaskClient, connected: Host) -> None:
    html = admin_client.get(TAB).get_data(as_text=True)
    assert 'data-tab="billing"' in html and "SolusioAutomation has not run yet" in html
    assert "No enrolment yet" in html


def test_last_run_panel_shows_the_stored_counters(admin_client: FlaskClient, connected: Host, sim: SimServer) -> None:
    host = connected
    save_prices(host.addon_api, {currency_id(host, "USD"): Decimal("0.0010")})
    plan = sim.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
    [(ann, ann_user), (cat, _)] = enrol(host, sim, ["ann@example.com", "cat@example.com"])
    [(bob, bob_user)] = enrol(host, sim, ["bob@example.com"], currency="EUR")  # EUR has no token price
    for user in (ann_user, bob_user):
        server = sim.state.add_server(user, plan.id, name="web-1", created_at=at("2026-07-01T00:00:00"))
        sim.state.stop_server(server.id, at=at("2026-07-11T00:00:00"))  # 240 h: 1680 tokens

    cron(host, date(2026, 8, 1))
    html = admin_client.get(TAB).get_data(as_text=True)
    assert field(html, "as_of") == "Aug 1, 2026" and field(html, "status") == "failed 1 item(s) failed"
    assert field(html, "invoiced") == "1" and field(html, "amounts") == "$1.68"
    assert field(html, "skipped") == "no token price for EUR: 1" and field(html, "failed") == "1"
    assert f"client #{bob}: no token price for EUR: set one under Settings" in html
    with host.sessions() as s:
        anns_invoice = s.scalars(select(Invoice.id).where(Invoice.client_id == ann)).one()

    sim.state.clock.set(at("2026-08-22T00:30:00"))
    cron(host, date(2026, 8, 22))  # due 15 August, lock 7 days after
    html = admin_client.get(TAB).get_data(as_text=True)
    assert field(html, "as_of") == "Aug 22, 2026"
    assert (field(html, "locked"), field(html, "suspended"), field(html, "reactivated")) == ("1", "0", "0")
    row = re.search(rf'<tr data-client="{ann}">(.*?)</tr>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "locked" in row and f'href="/admin/invoices/{anns_invoice}"' in row and "due Aug 15, 2026" in row
    locked_only = admin_client.get(TAB + "&status=locked").get_data(as_text=True)
    assert f'data-client="{ann}"' in locked_only and f'data-client="{cat}"' not in locked_only


def test_exempt_toggle_needs_the_csrf_token_and_is_logged(admin_client: FlaskClient, connected: Host,
                                                          sim: SimServer) -> None:
    host = connected
    [(ann, _)] = enrol(host, sim, ["ann@example.com"])
    form = {"action": "exempt", "client_id": str(ann), "exempt": "1", "status": "", "page": "1"}
    refused = admin_client.post(TAB, data=form)
    assert refused.status_code == 400
    with host.sessions() as s:
        assert s.scalars(select(Enrolment.exempt_from_overdue)).one() is False

    resp = admin_client.post(TAB, data={**form, "csrf_token": page_csrf(admin_client, TAB)})
    assert resp.status_code == 302 and "tab=billing" in resp.headers["Location"]
    html = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Saved: the change applies from the next SolusioAutomation run." in html
    assert re.search(rf'<tr data-client="{ann}">.*?data-exempt="yes"', html, re.S)
    with host.sessions() as s:
        assert s.scalars(select(Enrolment.exempt_from_overdue)).one() is True
        log = [(e.actor, e.description) for e in s.scalars(select(ActivityLog).where(ActivityLog.client_id == ann))]
    assert log == [("boss", f"Addon solusio: client #{ann} exempt from automatic lock/suspend")]

    off = admin_client.post(TAB, data={**form, "exempt": "0", "csrf_token": page_csrf(admin_client, TAB)})
    assert off.status_code == 302
    with host.sessions() as s:
        assert s.scalars(select(Enrolment.exempt_from_overdue)).one() is False
    unknown = admin_client.post(TAB, data={**form, "client_id": "9999", "csrf_token": page_csrf(admin_client, TAB)})
    assert unknown.status_code == 200 and "Nothing was saved: that client is not enrolled." in unknown.get_data(as_text=True)


def test_enrolments_are_paginated_by_50(admin_client: FlaskClient, connected: Host, sim: SimServer) -> None:
    enrol(connected, sim, [f"c{n:03d}@example.com" for n in range(120)])
    first = admin_client.get(TAB).get_data(as_text=True)
    assert first.count("<tr data-client=") == 50 and "Page 1 of 3 (120 total)" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = admin_client.get(TAB + "&page=3").get_data(as_text=True)
    assert last.count("<tr data-client=") == 20 and "c119@example.com" in last and "c000@example.com" not in last
    beyond = admin_client.get(TAB + "&page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond
    assert admin_client.get(TAB + "&page=x&status=nonsense").status_code == 200
