"""The API key and the integration secret never appear in pages, logs or the activity log."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.db.models import ActivityLog
from hostsim.host import Host
from solusio_addon.admin import settings as addon_settings
from solusio_sim import SimServer

from .conftest import PAGE, page_csrf


def test_secrets_never_shown(admin_client: FlaskClient, addon_host: Host, api: AddonHost, sim: SimServer,
                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    pages = []
    for key in ("typo-" + sim.admin_token, sim.admin_token):
        resp = admin_client.post(PAGE, data={"csrf_token": page_csrf(admin_client), "action": "connect",
                                             "url": sim.url, "api_key": key})
        pages.append(resp.get_data(as_text=True))
    conn = addon_settings.load_connection(api)
    assert conn.connected
    for tab in ("overview", "postpay", "settings"):
        pages.append(admin_client.get(PAGE + "&tab=" + tab).get_data(as_text=True))
    pages.append(admin_client.get("/admin/addonmodules").get_data(as_text=True))
    pages.append(admin_client.get("/admin/activity").get_data(as_text=True))
    resp = admin_client.post(PAGE + "&tab=settings", data={"csrf_token": page_csrf(admin_client),
                                                           "action": "connection", "url": sim.url, "api_key": "bad"})
    pages.append(resp.get_data(as_text=True))
    with addon_host.sessions() as s:
        activity = "\n".join(s.scalars(select(ActivityLog.description)))
    assert "connected to SolusIO" in activity
    shown = "\n".join(pages) + caplog.text + activity + repr(conn)
    for secret in (sim.admin_token, conn.integration_secret):
        assert secret not in shown
