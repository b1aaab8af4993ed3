"""The SolusIO panel on the host's admin client page (the ``admin_area_client_summary_page`` hook):
the enrolment as stored and the user as the simulator has it, and the admin's actions, each one
reflected in the simulator (real HTTP) and logged with the admin's name."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.db.models import ActivityLog
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from solusio_addon.admin import settings as addon_settings
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_sim import SimServer

from .conftest import ADMIN_PASSWORD, csrf_of, login_admin
from .test_billing_tab import at, enrol, field

ACTION = "/modules/addons/solusio/admin/clients/{}/enrolment"


def _page(client: FlaskClient, cid: int) -> str:
    answer = client.get(f"/admin/clients/{cid}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _act(client: FlaskClient, cid: int, action: str):
    token = csrf_of(_page(client, cid))
    return client.post(ACTION.format(cid), data={"csrf_token": token, "action": action})


def _status(host: Host, cid: int) -> EnrolmentStatus:
    with host.sessions() as s:
        return s.scalars(select(Enrolment.status).where(Enrolment.client_id == cid)).one()


def _log(host: Host, cid: int) -> list[tuple[str, str]]:
    with host.sessions() as s:
        return [(a.actor, a.description) for a in s.scalars(
            select(ActivityLog).where(ActivityLog.client_id == cid).order_by(ActivityLog.id))]


@pytest.fixture
def connected(addon_host: Host, sim: SimServer) -> Host:
    addon_settings.save_connection(addon_host.addon_api,
                                   addon_settings.ConnectionSettings(url=sim.url, api_key=sim.admin_token))
    sim.state.clock.set(at("2026-08-01T00:30:00"))
    return addon_host


@pytest.fixture
def enrolled(connected: Host, sim: SimServer) -> tuple[int, int]:
    cid, uid = enrol(connected, sim, ["ada@example.com"])[0]
    group = next(iter(sim.state.limit_groups.values()))
    sim.state.update_user(uid, limit_group_id=group.id)
    return cid, uid


def test_the_panel_shows_the_enrolment_and_the_user_in_solusio(admin_client, connected, sim, enrolled) -> None:
    cid, uid = enrolled
    html = _page(admin_client, cid)
    assert 'id="solusio"' in html
    assert field(html, "status") == "Active"
    assert field(html, "solusio_user_id") == f"#{uid}"
    assert field(html, "limit_group").startswith("Starter (#")
    assert field(html, "exempt") == "No"
    assert field(html, "last_sync") == "read from SolusIO now: Active, ada@example.com"
    assert 'value="lock"' in html and 'value="suspend"' in html and 'value="unlock"' not in html


def test_each_action_is_mirrored_in_solusio_and_logged(admin_client, connected, sim, enrolled) -> None:
    cid, uid = enrolled
    steps = [("lock", EnrolmentStatus.LOCKED, "locked"), ("unlock", EnrolmentStatus.ACTIVE, "active"),
             ("suspend", EnrolmentStatus.SUSPENDED, "suspended"), ("unsuspend", EnrolmentStatus.ACTIVE, "active")]
    old = "active"
    for action, wanted, remote in steps:
        answer = _act(admin_client, cid, action)
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/admin/clients/{cid}#solusio")
        assert _status(connected, cid) is wanted
        assert sim.state.get_user(uid).status == remote
        word = {"lock": "locked", "unlock": "unlocked", "suspend": "suspended", "unsuspend": "unsuspended"}[action]
        assert _log(connected, cid)[-1] == ("boss", f"SolusIO user #{uid} {old} -> {wanted.value}: {word} by admin boss")
        old = wanted.value
    html = _page(admin_client, cid)
    assert "unsuspended. The client was not emailed" in html
    # an action that does not apply to the status changes nothing
    assert _act(admin_client, cid, "unlock").status_code == 302
    assert "Nothing was changed: the SolusIO user is Active." in _page(admin_client, cid)
    assert sim.state.get_user(uid).status == "active"


def test_a_refusal_in_solusio_changes_nothing_here(admin_client, connected, sim, enrolled) -> None:
    cid, uid = enrolled
    sim.state.delete_user(uid)  # SolusIO answers 404 for the user
    _act(admin_client, cid, "lock")
    assert _status(connected, cid) is EnrolmentStatus.ACTIVE
    assert "Nothing was changed: SolusIO did not take the change" in _page(admin_client, cid)


def test_exempt_toggle_and_email_resync(admin_client, connected, sim, enrolled) -> None:
    cid, uid = enrolled
    _act(admin_client, cid, "exempt_on")
    html = _page(admin_client, cid)
    assert field(html, "exempt") == "Yes" and 'value="exempt_off"' in html
    assert _log(connected, cid)[-1] == ("boss", f"Addon solusio: client #{cid} exempt from automatic lock/suspend")
    _act(admin_client, cid, "exempt_off")
    assert field(_page(admin_client, cid), "exempt") == "No"
    sim.state.update_user(uid, email="drifted@example.com")
    _act(admin_client, cid, "resync_email")
    assert sim.state.get_user(uid).email == "ada@example.com"
    assert "The SolusIO user now has the client&#39;s email address." in _page(admin_client, cid)
    assert ("boss", f"Addon solusio: client #{cid}'s email re-sent to SolusIO by admin boss") in _log(connected, cid)


def test_actions_need_csrf_and_an_admin_with_access(admin_client, connected, sim, enrolled, app) -> None:
    cid, uid = enrolled
    assert admin_client.post(ACTION.format(cid), data={"action": "lock"}).status_code == 400
    anonymous = app.test_client()
    token = csrf_of(anonymous.get("/login").get_data(as_text=True))
    assert anonymous.post(ACTION.format(cid), data={"csrf_token": token, "action": "lock"}).status_code == 403
    create_admin(connected, "helper", "helper@example.com", ADMIN_PASSWORD, role="Support Operator")
    helper = app.test_client()
    login_admin(helper, "helper")
    html = _page(helper, cid)
    assert 'id="solusio"' not in html  # no access to SolusIO: no panel
    assert helper.post(ACTION.format(cid), data={"csrf_token": csrf_of(html), "action": "lock"}).status_code == 403
    assert _status(connected, cid) is EnrolmentStatus.ACTIVE and sim.state.get_user(uid).status == "active"
    assert admin_client.post(ACTION.format(99999), data={"csrf_token": csrf_of(_page(admin_client, cid)),
                                                       "action": "lock"}).status_code == 404


def test_a_client_without_enrolment_says_so(admin_client, connected) -> None:
    from tests.web.conftest import add_client

    cid = add_client(connected, "bob@example.com", "Bob", "Plain")
    html = _page(admin_client, cid)
    assert "The client is not enrolled in SolusIO post-pay." in html
    assert not re.search(r'name="action" value="lock"', html)
