"""Closing and reopening a client: the service, the admin's button and ``hostsim client``
all change the status, log it and fire ``client_status_change`` once per change."""

from __future__ import annotations

from sqlalchemy import select

from hostsim.db.models import ActivityLog, Client, ClientStatus
from hostsim.services.clients import close_client, reopen_client
from tests.web.conftest import add_client, login_client, post_form


def _status(host, client_id: int) -> ClientStatus:
    with host.sessions() as s:
        return s.get(Client, client_id).status


def _events(addon) -> list[tuple]:
    return [c for c in addon.calls if c[0] == "client_status_change"]


def test_close_and_reopen_fire_the_event_once_each_after_client_edit(web_host, demo) -> None:
    web_host.lifecycle.activate("demo")
    client_id = add_client(web_host, "ada@example.com")
    assert close_client(web_host, client_id, actor="boss") is True
    assert close_client(web_host, client_id, actor="boss") is False  # already closed: no second event
    assert _status(web_host, client_id) is ClientStatus.CLOSED
    assert reopen_client(web_host, client_id) is True
    assert reopen_client(web_host, client_id) is False
    assert _status(web_host, client_id) is ClientStatus.ACTIVE
    assert _events(demo) == [("client_status_change", client_id, "Active", "Closed"),
                             ("client_status_change", client_id, "Closed", "Active")]
    names = [c[0] for c in demo.calls if c[0] in ("client_edit", "client_status_change")]
    assert names == ["client_edit", "client_status_change"] * 2


def test_the_admin_closes_and_reopens_from_the_client_page(web_host, demo, admin, anon) -> None:
    web_host.lifecycle.activate("demo")
    client_id = add_client(web_host, "ada@example.com")
    page = admin.get(f"/admin/clients/{client_id}").get_data(as_text=True)
    assert "Close client" in page and "Reopen client" not in page
    answer = post_form(admin, f"/admin/clients/{client_id}/close", token_from=f"/admin/clients/{client_id}",
                       follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Client closed." in page and "Reopen client" in page
    assert _status(web_host, client_id) is ClientStatus.CLOSED
    assert login_client(anon, "ada@example.com").status_code != 302  # a closed client cannot log in
    with web_host.sessions() as s:
        logged = list(s.scalars(select(ActivityLog).where(ActivityLog.client_id == client_id)))
    assert [(e.actor, e.description) for e in logged][-1] == (
        "boss", f"Client Ada Lovelace (#{client_id}): status changed from Active to Closed")
    post_form(admin, f"/admin/clients/{client_id}/reopen", token_from=f"/admin/clients/{client_id}")
    assert _status(web_host, client_id) is ClientStatus.ACTIVE
    assert len(_events(demo)) == 2


def test_closing_needs_the_csrf_token_and_an_existing_client(web_host, admin) -> None:
    client_id = add_client(web_host, "ada@example.com")
    assert admin.post(f"/admin/clients/{client_id}/close").status_code == 400
    assert _status(web_host, client_id) is ClientStatus.ACTIVE
    assert post_form(admin, "/admin/clients/999999/close", token_from=f"/admin/clients/{client_id}").status_code == 404


def test_hostsim_client_close_and_reopen(web_host, demo, cli) -> None:
    web_host.lifecycle.activate("demo")
    client_id = add_client(web_host, "ada@example.com")
    result = cli(web_host, "client", "close", str(client_id))
    assert result.exit_code == 0 and result.output == f"Client #{client_id} closed.\n"
    assert cli(web_host, "client", "close", str(client_id)).output == f"Client #{client_id} was already closed.\n"
    assert cli(web_host, "client", "reopen", str(client_id)).output == f"Client #{client_id} reopened (Active).\n"
    assert cli(web_host, "client", "reopen", str(client_id)).output == f"Client #{client_id} is not closed.\n"
    missing = cli(web_host, "client", "close", "999999")
    assert missing.exit_code != 0 and "CLIENT_ID: no client #999999" in missing.output
    bad = cli(web_host, "client", "close", "abc")
    assert bad.exit_code != 0 and "expected a client id" in bad.output
    assert len(_events(demo)) == 2
