"""The reconcile as an admin meets it: the Billing tab's Consistency section (and its Check now
button), ``hostsim solusio reconcile``, and the daily SolusioAutomation run repairing the safe
kinds. Real HTTP to the simulator, on the test database."""

from __future__ import annotations

import re
from datetime import date

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.cli import main
from hostsim.db.models import ActivityLog
from hostsim.host import Host
from hostsim.services.clients import close_client
from solusio_addon.admin import settings as addon_settings
from solusio_addon.clientarea.email_sync import EMAIL_REFUSED_MARK
from solusio_addon.db.models import Enrolment
from solusio_sim import SimServer

from .conftest import page_csrf
from .test_billing_tab import TAB, at, cron, enrol


@pytest.fixture
def connected(addon_host: Host, api: AddonHost, sim: SimServer) -> Host:
    addon_settings.save_connection(api, addon_settings.ConnectionSettings(url=sim.url, api_key=sim.admin_token))
    sim.state.clock.set(at("2026-08-01T00:30:00"))
    return addon_host


def drift(host: Host, sim: SimServer) -> dict[str, int]:
    (ok, _), (email_c, email_u), (status_c, status_u) = enrol(host, sim, ["ok@example.com", "e@example.com",
                                                                           "s@example.com"])
    sim.state.update_user(email_u, email="other@example.com")
    sim.state.set_user_status(status_u, "suspended")
    stranger = sim.state.add_user("stranger@example.com", billing_user_id=4242)
    return {"email": email_c, "status": status_c, "status_user": status_u, "stranger": stranger.id}


def rows(html: str) -> dict[str, str]:
    return {kind: body for kind, body in re.findall(r'<tr data-kind="(\w+)"[^>]*>(.*?)</tr>', html, re.S)}


def test_check_now_lists_the_drift_with_the_admins_action(admin_client: FlaskClient, connected: Host,
                                                           sim: SimServer) -> None:
    d = drift(connected, sim)
    html = admin_client.get(TAB).get_data(as_text=True)
    assert 'id="consistency-never"' in html
    assert admin_client.post(TAB, data={"action": "reconcile"}).status_code == 400  # no CSRF token: nothing run
    resp = admin_client.post(TAB, data={"action": "reconcile", "csrf_token": page_csrf(admin_client, TAB)})
    assert resp.status_code == 302
    html = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Checked: the Consistency section below shows what differs." in html
    found = rows(html)
    assert set(found) == {"email", "status", "foreign_billing_id"}
    assert "other@example.com" in found["email"] and "make them equal" in found["email"]
    assert f"#{d['status']}" in found["status"] and "repaired by the next daily pass" in found["status"]
    assert "4242 names no enrolled client" in found["foreign_billing_id"]
    assert sim.state.get_user(d["status_user"]).status == "suspended"  # Check now repairs nothing


def test_the_daily_run_repairs_the_status_and_leaves_the_rest_listed(admin_client: FlaskClient, connected: Host,
                                                                    sim: SimServer) -> None:
    d = drift(connected, sim)
    cron(connected, date(2026, 8, 1))
    assert sim.state.get_user(d["status_user"]).status == "active"
    html = admin_client.get(TAB).get_data(as_text=True)
    assert set(rows(html)) == {"email", "foreign_billing_id"}
    assert re.search(r'data-field="repaired">1<', html)
    with connected.sessions() as s:
        repaired = [e.description for e in s.scalars(select(ActivityLog).where(ActivityLog.client_id == d["status"]))]
    assert [r for r in repaired if "reconcile repaired" in r] == [
        f"SolusIO reconcile repaired user #{d['status_user']} of client #{d['status']}: status: SolusIO has "
        "suspended, the rules say active (no overdue invoice)"]

    def user_pages() -> int:
        return len([r for r in sim.requests if r.method == "GET" and r.path == "/api/v1/users"])

    sim.clear_requests()
    cron(connected, date(2026, 8, 1))  # the same day again: billed nothing new, and no second pass
    assert user_pages() == 0
    cron(connected, date(2026, 8, 2))
    assert user_pages() == 1  # 5 users: one page


def test_hostsim_solusio_reconcile_reports_then_fixes(connected: Host, sim: SimServer) -> None:
    d = drift(connected, sim)
    report = CliRunner().invoke(main, ["solusio", "reconcile"], obj=connected)
    assert report.exit_code == 1
    assert "drift found: 3; repaired: 0; reported: 3" in report.output
    assert f"status: client #{d['status']}" in report.output
    assert sim.state.get_user(d["status_user"]).status == "suspended"
    fixed = CliRunner().invoke(main, ["solusio", "reconcile", "--fix", "-vv"], obj=connected)
    assert "repaired: 1; reported: 2" in fixed.output and "repaired status" in fixed.output
    assert sim.state.get_user(d["status_user"]).status == "active"
    one = CliRunner().invoke(main, ["solusio", "reconcile", "--client", str(d["status"])], obj=connected)
    assert one.exit_code == 0 and "no drift: the host and SolusIO agree" in one.output and "drift found" not in one.output
    bad = CliRunner().invoke(main, ["solusio", "reconcile", "--client", "x"], obj=connected)
    assert bad.exit_code == 2 and "expected a client id" in bad.output


def test_a_refused_email_retry_is_shown_on_the_billing_tab(admin_client: FlaskClient, connected: Host,
                                                           sim: SimServer) -> None:
    [(ann, _)] = enrol(connected, sim, ["ann@example.com"])
    with connected.transaction() as s:
        s.scalars(select(Enrolment)).one().last_error = EMAIL_REFUSED_MARK + "The email has already been taken."
    html = admin_client.get(TAB).get_data(as_text=True)
    row = re.search(rf'<tr data-client="{ann}">(.*?)</tr>', html, re.S).group(1)  # type: ignore[union-attr]
    assert 'data-field="note">email change refused by SolusIO: The email has already been taken.' in row


def test_a_closed_client_shows_as_closed(admin_client: FlaskClient, connected: Host, sim: SimServer) -> None:
    [(ann, user), (bob, _)] = enrol(connected, sim, ["ann@example.com", "bob@example.com"])
    close_client(connected, ann, actor="boss")
    assert sim.state.get_user(user).status == "suspended"
    overview = admin_client.get(TAB.replace("&tab=billing", "")).get_data(as_text=True)
    assert "<strong>1</strong> closed" in overview and "<strong>1</strong> active" in overview
    html = admin_client.get(TAB + "&status=closed").get_data(as_text=True)
    row = re.search(rf'<tr data-client="{ann}">(.*?)</tr>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "badge-closed" in row and "the month of the closure is invoiced at the month-end" in row
    assert f'data-client="{bob}"' not in html
