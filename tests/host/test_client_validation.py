"""client_details_validation: addons check a client's change before it commits, or refuse it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hostsim.db.models import ActivityLog, Client
from hostsim.services.clients import ClientError, create_client, update_client
from tests.fake_addons import FakeAddon


def _client(host) -> int:
    with host.transaction() as s:
        return create_client(s, first_name="Ada", last_name="Lovelace", email="ada@example.com",
                             password="Analytical-Engine-1", now=host.clock.now()).id


def test_a_refusal_saves_nothing_and_fires_no_event(make_host) -> None:
    addon = FakeAddon("mirror", refuse={"email": "This email address cannot be used for your cloud account"})
    host = make_host(("mirror", addon))
    host.lifecycle.activate("mirror")
    client_id = _client(host)
    with pytest.raises(ClientError) as refused:
        update_client(host, client_id, email="taken@example.com", company="Babbage & Co")
    assert (refused.value.field, refused.value.message) == ("email", "This email address cannot be used for your "
                                                                     "cloud account")
    with host.sessions() as s:
        client = s.get(Client, client_id)
        assert (client.email, client.company) == ("ada@example.com", "")
        assert not list(s.scalars(select(ActivityLog).where(ActivityLog.description.like("%changed%"))))
    assert ("client_details_validation", client_id, ["company", "email"]) in addon.calls
    assert not [c for c in addon.calls if c[0] == "client_edit"]


def test_an_accepted_change_is_checked_then_committed_then_announced(make_host) -> None:
    addon = FakeAddon("mirror")
    host = make_host(("mirror", addon))
    host.lifecycle.activate("mirror")
    client_id = _client(host)
    assert update_client(host, client_id, email="ada@analytical.example") == {
        "email": ("ada@example.com", "ada@analytical.example")}
    names = [c[0] for c in addon.calls if c[0] in ("client_details_validation", "client_edit")]
    assert names == ["client_details_validation", "client_edit"]


def test_an_inactive_addon_is_not_asked(make_host) -> None:
    addon = FakeAddon("mirror", refuse={"email": "no"})
    host = make_host(("mirror", addon))
    client_id = _client(host)
    update_client(host, client_id, email="ada@analytical.example")
    assert not [c for c in addon.calls if c[0] == "client_details_validation"]
