"""An enrolled client's email change must be accepted by SolusIO before the host saves it."""

from __future__ import annotations

import html as htmllib

import pytest
from sqlalchemy import select

from hostsim.db.models import ActivityLog, Client
from hostsim.services.clients import ClientError, update_client
from solusio_addon.clientarea.email_sync import TAKEN, UNREACHABLE
from tests.addon_client.conftest import add_client, csrf_of, enrol, login

DETAILS = "/clientarea/details"



def submit(browser, email: str, company: str = "Analytical Engines"):
    token = csrf_of(browser.get(DETAILS).data)
    return browser.post(DETAILS, data={"first_name": "Ada", "last_name": "Lovelace", "company": company,
                                       "email": email, "csrf_token": token})


def host_row(host, client_id: int) -> tuple[str, str]:
    with host.sessions() as s:
        client = s.get(Client, client_id)
        return client.email, client.company


def test_an_address_another_solusio_user_has_is_a_field_error_and_nothing_is_saved(app, addon_host, sim):
    client_id, user_id = enrol(addon_host, sim, "ada@example.com")
    sim.state.add_user("grace@example.com")
    browser = app.test_client()
    login(browser, "ada@example.com")
    answer = submit(browser, "grace@example.com")
    page = htmllib.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400 and TAKEN in page and "Your details were saved" not in page
    assert host_row(addon_host, client_id) == ("ada@example.com", "")  # the company was not saved either
    assert sim.state.get_user(user_id).email == "ada@example.com"


def test_solusio_down_refuses_the_change_with_try_again_later(app, addon_host, sim):
    client_id, user_id = enrol(addon_host, sim, "ada@example.com")
    browser = app.test_client()
    login(browser, "ada@example.com")
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    try:
        page = htmllib.unescape(submit(browser, "ada@analytical.example").get_data(as_text=True))
    finally:
        sim.faults.reset()
    assert UNREACHABLE in page
    assert host_row(addon_host, client_id) == ("ada@example.com", "")
    assert sim.state.get_user(user_id).email == "ada@example.com"


def test_an_accepted_change_is_saved_on_both_sides_and_logged(app, addon_host, sim):
    client_id, user_id = enrol(addon_host, sim, "ada@example.com")
    browser = app.test_client()
    login(browser, "ada@example.com")
    answer = submit(browser, "ada@analytical.example")
    assert answer.status_code == 302
    assert host_row(addon_host, client_id) == ("ada@analytical.example", "Analytical Engines")
    assert sim.state.get_user(user_id).email == "ada@analytical.example"
    with addon_host.sessions() as s:
        logged = [e.description for e in s.scalars(select(ActivityLog).where(ActivityLog.client_id == client_id))]
    assert f"SolusIO user #{user_id}: email changed to follow client #{client_id}" in logged


def test_a_client_without_a_solusio_user_changes_email_without_asking_solusio(app, addon_host, sim):
    client_id = add_client(addon_host, "ada@example.com")
    sim.faults.configure(error_rate=1.0, error_statuses=[503])  # would refuse, were it asked
    browser = app.test_client()
    login(browser, "ada@example.com")
    try:
        assert submit(browser, "ada@analytical.example").status_code == 302
    finally:
        sim.faults.reset()
    assert host_row(addon_host, client_id)[0] == "ada@analytical.example"


def test_an_admin_editing_the_client_meets_the_same_rule(addon_host, sim):
    """The host has one path for every client change (the admin's included): refused the same way."""
    client_id, user_id = enrol(addon_host, sim, "ada@example.com")
    sim.state.add_user("grace@example.com")
    with pytest.raises(ClientError) as refused:
        update_client(addon_host, client_id, actor="boss", email="grace@example.com", company="Engines")
    assert (refused.value.field, refused.value.message) == ("email", TAKEN)
    assert host_row(addon_host, client_id) == ("ada@example.com", "")
    assert sim.state.get_user(user_id).email == "ada@example.com"
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    try:
        with pytest.raises(ClientError) as down:
            update_client(addon_host, client_id, actor="boss", email="ada@analytical.example")
    finally:
        sim.faults.reset()
    assert down.value.message == UNREACHABLE and host_row(addon_host, client_id)[0] == "ada@example.com"
    update_client(addon_host, client_id, actor="boss", email="ada@analytical.example")
    assert host_row(addon_host, client_id)[0] == sim.state.get_user(user_id).email == "ada@analytical.example"


def test_a_change_solusio_took_but_the_host_did_not_save_is_undone_in_solusio(addon_host, sim, monkeypatch):
    """SolusIO accepted the new email inside the host's transaction, then the host failed before
    its commit: the SolusIO user gets the old email back (client_details_reverted)."""
    client_id, user_id = enrol(addon_host, sim, "ada@example.com")

    def fail(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(addon_host.activity, "log", fail)  # written in the change's transaction, after the check
    with pytest.raises(RuntimeError):
        update_client(addon_host, client_id, email="ada@analytical.example")
    monkeypatch.undo()
    assert host_row(addon_host, client_id)[0] == "ada@example.com"
    assert sim.state.get_user(user_id).email == "ada@example.com"
    patches = [r for r in sim.requests if r.method in ("PATCH", "PUT") and r.path.endswith(f"/users/{user_id}")]
    assert len(patches) == 2  # the change, then its undo
    update_client(addon_host, client_id, email="ada@analytical.example")  # saved: nothing undone
    assert sim.state.get_user(user_id).email == "ada@analytical.example"


def test_a_refused_change_is_not_undone_in_solusio(app, addon_host, sim):
    client_id, user_id = enrol(addon_host, sim, "ada@example.com")
    sim.state.add_user("grace@example.com")
    with pytest.raises(ClientError):
        update_client(addon_host, client_id, email="grace@example.com")
    patches = [r for r in sim.requests if r.method in ("PATCH", "PUT") and r.path.endswith(f"/users/{user_id}")]
    assert len(patches) == 1  # the refused change only: nothing to undo
