"""Linking a client to a SolusIO user that already has its email, over real HTTP to the simulator.

A free user is bound with ONE ``PUT users/{id}`` (billing_user_id and the post-pay limit group);
a user bound to this client is linked and gets the limit group; a user bound to another billing
id, or an administrator, is refused: nothing is written on either side, the client sees the same
neutral message as for SolusIO being down, the admin sees "link failed" and the reason on the
Billing tab, and neither the cron task nor the client's "Try again" calls SolusIO again.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from hostsim.db.models import ActivityLog
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from solusio_addon.admin import enrolments as addon_enrolments
from solusio_addon.billing.automation import Automation
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient
from solusio_sim import SimServer
from tests.addon_admin.conftest import ADMIN_PASSWORD, grant_access, login_admin
from tests.addon_client.conftest import (
    LANDING,
    SIGNUP_PASSWORD,
    add_client,
    client_row,
    complete,
    csrf_of,
    enrolments,
    last_link,
    login,
    post_signup,
)

STARTER = 1  # the limit group the fixture's post-pay settings name
LINK_FAILED_MARK = "failed: "  # how a refused link's reason starts (the Billing tab, the CLI)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
NEUTRAL = "could not be reached when you signed up"
PANEL_RE = re.compile(r'<div class="solusio-panel".*?</div>', re.S)


def writes(sim: SimServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.requests if r.method in WRITES]


def activity(host: Host, client_id: int) -> list[str]:
    with host.sessions() as s:
        return list(s.scalars(select(ActivityLog.description).where(ActivityLog.client_id == client_id)
                              .order_by(ActivityLog.id)))


def enrolment_of(host: Host, client_id: int) -> Enrolment:
    [row] = [e for e in enrolments(host) if e.client_id == client_id]
    return row


def panel_text(page: str) -> str:
    """The enrolment panel's words, without markup or the form's CSRF token."""
    match = PANEL_RE.search(page)
    assert match, page
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def sign_up(anon: FlaskClient, host: Host, email: str) -> tuple[int, str]:
    """The whole visitor signup over the web app; (client id, the result page)."""
    post_signup(anon, email=email)
    done = complete(anon, last_link(host, email))
    assert done.status_code == 200, done.get_data(as_text=True)
    row = client_row(host, email)
    assert row is not None
    return row.id, done.get_data(as_text=True)


def enrol_logged_in(app, email: str) -> tuple[FlaskClient, str]:  # type: ignore[no-untyped-def]
    """A verified client enables cloud hosting from the landing page."""
    c = app.test_client()
    login(c, email)
    token = csrf_of(c.get(LANDING).data)
    done = c.post("/modules/addons/solusio/enrol", data={"csrf_token": token, "password": SIGNUP_PASSWORD,
                                                         "accept_tos": "1", "accept_postpay": "1"},
                  follow_redirects=True)
    assert done.status_code == 200, done.get_data(as_text=True)
    return c, done.get_data(as_text=True)


def billing_tab_row(app, host: Host, client_id: int) -> str:  # type: ignore[no-untyped-def]
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    grant_access(host, "Full Administrator")
    admin = app.test_client()
    login_admin(admin, "boss")
    page = admin.get("/admin/addonmodules.php?module=solusio&tab=billing").get_data(as_text=True)
    match = re.search(rf'<tr data-client="{client_id}">.*?</tr>', page, re.S)
    assert match, page
    return match.group(0)


def test_a_free_user_is_bound_with_one_put(anon, addon_host, sim):
    user = sim.state.add_user("grace@example.com", password="old-password-1")
    sim.clear_requests()
    client_id, page = sign_up(anon, addon_host, "grace@example.com")
    assert "Log in to SolusIO" in page
    enrolment = enrolment_of(addon_host, client_id)
    assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.solusio_user_id == user.id
    assert enrolment.pending_password == "" and enrolment.last_error == ""
    assert writes(sim) == [("PUT", f"/api/v1/users/{user.id}")]
    # One PUT carried both: the simulator's user has the client's id and the post-pay group.
    stored = sim.state.get_user(user.id)
    assert (stored.billing_user_id, stored.limit_group_id) == (client_id, STARTER)
    assert stored.password == "old-password-1" and len(sim.state.search_users("grace@")) == 1
    assert (f"SolusIO user #{user.id} linked (billing_user_id set, limit group #{STARTER} applied) "
            f"for client #{client_id}") in activity(addon_host, client_id)


def test_a_user_bound_to_this_client_is_linked_and_gets_the_limit_group(app, addon_host, sim):
    client_id = add_client(addon_host, "ada@example.com")
    user = sim.state.add_user("ada@example.com", billing_user_id=client_id)
    sim.clear_requests()
    _, page = enrol_logged_in(app, "ada@example.com")
    assert "Log in to SolusIO" in page
    enrolment = enrolment_of(addon_host, client_id)
    assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.solusio_user_id == user.id
    assert writes(sim) == [("PUT", f"/api/v1/users/{user.id}")]
    stored = sim.state.get_user(user.id)
    assert (stored.billing_user_id, stored.limit_group_id) == (client_id, STARTER)
    assert any(f"SolusIO user #{user.id} linked" in line for line in activity(addon_host, client_id))


def test_a_user_already_bound_and_grouped_is_linked_without_a_write(app, addon_host, sim):
    client_id = add_client(addon_host, "ada@example.com")
    user = sim.state.add_user("ada@example.com", billing_user_id=client_id, limit_group_id=STARTER)
    sim.clear_requests()
    enrol_logged_in(app, "ada@example.com")
    assert enrolment_of(addon_host, client_id).status is EnrolmentStatus.ACTIVE
    assert writes(sim) == []
    assert (f"SolusIO user #{user.id} linked (already bound to this client) for client #{client_id}"
            in activity(addon_host, client_id))


SELF = -1  # stands for the enrolling client's own id

#: case -> (fields of the SolusIO user, the reason the admin sees, enrol as a logged-in client)
REFUSALS = {
    "bound to another billing id": ({"billing_user_id": 999}, "bound to another billing account (billing user #999)",
                                    False),
    "an administrator": ({"role_ids": [1]}, "it is an administrator of SolusIO", False),
    "an administrator bound to this client": ({"role_ids": [1], "billing_user_id": SELF},
                                              "it is an administrator of SolusIO", True),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_user_that_must_not_be_linked_is_refused_and_nothing_is_written(app, anon, addon_host, api, sim, case):
    # The neutral message a client sees for any provisioning problem: SolusIO down at signup.
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    down = app.test_client()
    down_id, _ = sign_up(down, addon_host, "down@example.com")
    neutral = panel_text(down.get("/clientarea").get_data(as_text=True))
    assert NEUTRAL in neutral
    sim.faults.reset()
    with addon_host.transaction() as s:  # only the refused enrolment below is left for the cron task
        s.execute(delete(Enrolment).where(Enrolment.client_id == down_id))

    fields, reason, logged_in = REFUSALS[case]
    email = "grace@example.com"
    client_id = add_client(addon_host, email) if logged_in else 0
    fields = {k: client_id if v == SELF else v for k, v in fields.items()}
    user = sim.state.add_user(email, password="old-password-1", **fields)  # type: ignore[arg-type]
    before = (user.billing_user_id, user.limit_group_id, list(user.role_ids), user.password)
    users_before = len(sim.state.users)
    sim.clear_requests()
    if logged_in:
        browser, page = enrol_logged_in(app, email)
    else:
        browser = anon
        client_id, page = sign_up(anon, addon_host, email)

    # SolusIO: no PUT, no user created, the user as it was
    assert writes(sim) == []
    assert len(sim.state.users) == users_before
    after = sim.state.get_user(user.id)
    assert (after.billing_user_id, after.limit_group_id, list(after.role_ids), after.password) == before
    # the host: pending, no SolusIO user, the reason kept for the admin, the password kept
    enrolment = enrolment_of(addon_host, client_id)
    assert enrolment.status is EnrolmentStatus.PENDING and enrolment.solusio_user_id is None
    assert enrolment.provisioned_at is None and enrolment.pending_password.startswith("enc:")
    assert enrolment.last_error.startswith(LINK_FAILED_MARK) and reason in enrolment.last_error
    assert f"SolusIO user #{user.id}" in enrolment.last_error
    # the client: the same neutral panel as SolusIO being down, no reason, no SolusIO login
    for shown in (page, browser.get("/clientarea").get_data(as_text=True)):
        assert panel_text(shown) == neutral
        assert "Log in to SolusIO" not in shown and "administrator" not in shown and "#999" not in shown
    # the admin: a clear failure with the reason on the Billing tab
    row = billing_tab_row(app, addon_host, client_id)
    assert 'data-failed="link"' in row and "link failed" in row
    assert reason in htmllib.unescape(row) and f"SolusIO user #{user.id}" in row
    refusals = [line for line in activity(addon_host, client_id) if "not linked" in line]
    assert len(refusals) == 1 and reason in refusals[0]

    # Reported once, not retried: the cron task and the client's "Try again" do not call SolusIO.
    sim.clear_requests()
    solusio = SolusioClient(sim.url, sim.admin_token, retries=0)
    automation = Automation(api, solusio, policy_from_settings(api))
    automation.finish_pending()
    assert automation.report.provisioned == 0 and automation.report.pending == 0
    assert automation.report.skipped == {"SolusIO link refused: resolve on the Billing tab": 1}
    retried = browser.post("/modules/addons/solusio/retry", data={"csrf_token": csrf_of(browser.get(LANDING).data)})
    assert retried.status_code == 302
    assert sim.requests == []
    assert enrolment_of(addon_host, client_id).status is EnrolmentStatus.PENDING
    assert len([line for line in activity(addon_host, client_id) if "not linked" in line]) == 1


def test_the_admin_retries_a_refused_link_once_it_is_resolved(anon, addon_host, api, sim):
    assert addon_enrolments.LINK_FAILED_MARK == LINK_FAILED_MARK
    user = sim.state.add_user("grace@example.com", billing_user_id=999)
    client_id, _ = sign_up(anon, addon_host, "grace@example.com")
    assert enrolment_of(addon_host, client_id).last_error.startswith(LINK_FAILED_MARK)
    solusio = SolusioClient(sim.url, sim.admin_token, retries=0)
    # still bound elsewhere: the retry is refused again, nothing written
    sim.clear_requests()
    again = addon_enrolments.retry_failed_link(api, solusio, client_id, limit_group_id=STARTER, actor="boss")
    assert again is not None and not again.ok and again.failed and writes(sim) == []
    # freed in SolusIO: the admin's retry links it with one PUT
    sim.state.update_user(user.id, billing_user_id=None)
    sim.clear_requests()
    done = addon_enrolments.retry_failed_link(api, solusio, client_id, limit_group_id=STARTER, actor="boss")
    assert done is not None and done.ok and done.solusio_user_id == user.id
    assert writes(sim) == [("PUT", f"/api/v1/users/{user.id}")]
    enrolment = enrolment_of(addon_host, client_id)
    assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.last_error == ""
    assert sim.state.get_user(user.id).billing_user_id == client_id
    log = activity(addon_host, client_id)
    assert f"SolusIO: linking client #{client_id} retried by an admin" in log
    assert any(f"SolusIO user #{user.id} linked" in line for line in log)
    # nothing left to retry
    assert addon_enrolments.retry_failed_link(api, solusio, client_id, limit_group_id=STARTER) is None


def test_a_user_held_by_another_enrolment_is_refused(app, addon_host, sim):
    # SolusIO still has the old email of an enrolled client (its email change did not reach it):
    # the user is that client's, even though its billing_user_id was cleared by hand in SolusIO.
    other_id = add_client(addon_host, "other@example.com")
    user = sim.state.add_user("ada@example.com")
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=other_id, solusio_user_id=user.id, status=EnrolmentStatus.ACTIVE,
                        created_at=addon_host.clock.now()))
    client_id = add_client(addon_host, "ada@example.com")
    sim.clear_requests()
    enrol_logged_in(app, "ada@example.com")
    assert writes(sim) == []
    enrolment = enrolment_of(addon_host, client_id)
    assert enrolment.status is EnrolmentStatus.PENDING
    assert f"already the SolusIO user of client #{other_id}" in enrolment.last_error
    assert sim.state.get_user(user.id).billing_user_id is None


def test_another_enrolment_taking_the_user_during_the_put_is_reported(app, addon_host, sim, monkeypatch):
    # The narrow race: the user is free when read, but another enrolment holds it by the time this
    # one is activated. The enrolment stays pending as a failed link that says SolusIO was changed.
    other_id = add_client(addon_host, "other@example.com")
    user = sim.state.add_user("ada@example.com")
    client_id = add_client(addon_host, "ada@example.com")
    real_put = SolusioClient.link_user_to_billing

    def put_then_conflict(self, user_id, billing_user_id, *, limit_group_id=None):  # type: ignore[no-untyped-def]
        answer = real_put(self, user_id, billing_user_id, limit_group_id=limit_group_id)
        with addon_host.transaction() as s:
            s.add(Enrolment(client_id=other_id, solusio_user_id=user_id, status=EnrolmentStatus.ACTIVE,
                            created_at=addon_host.clock.now()))
        return answer

    monkeypatch.setattr(SolusioClient, "link_user_to_billing", put_then_conflict)
    sim.clear_requests()
    enrol_logged_in(app, "ada@example.com")
    assert writes(sim) == [("PUT", f"/api/v1/users/{user.id}")]
    enrolment = enrolment_of(addon_host, client_id)
    assert enrolment.status is EnrolmentStatus.PENDING and enrolment.solusio_user_id is None
    assert enrolment.last_error.startswith(LINK_FAILED_MARK)
    assert "already belongs to another enrolment" in enrolment.last_error
    assert f"billing_user_id was already set to client #{client_id}" in enrolment.last_error
