"""Session lifetimes on the General Settings page: shown with their defaults, validated, and in force
for logged-in sessions from their next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from hostsim.clock import Clock
from hostsim.host import Host
from hostsim.web import create_app
from tests.web.conftest import login_admin, post_form

LIFETIMES = {"admin_session_lifetime_minutes": "720", "admin_session_idle_minutes": "120",
             "client_session_lifetime_minutes": "10080", "client_session_idle_minutes": "1440"}


@pytest.fixture
def session_clock() -> Clock:
    return Clock()


@pytest.fixture
def app(web_host: Host, session_clock: Clock) -> Flask:
    return create_app(web_host, config={"HOSTSIM_SESSION_CLOCK": session_clock})


def test_general_settings_show_and_change_the_session_lifetimes(admin, app, web_host, session_clock):
    html = admin.get("/admin/settings").text
    for key, value in LIFETIMES.items():
        assert f'name="{key}" value="{value}"' in html
    response = post_form(admin, "/admin/settings", {"admin_session_idle_minutes": "30"}, follow_redirects=True)
    assert response.status_code == 200 and "Settings saved." in response.text
    assert web_host.settings.get("admin_session_idle_minutes") == "30"
    other = app.test_client()
    login_admin(other)
    session_clock.advance(timedelta(minutes=31))
    assert other.get("/admin/").status_code == 302  # the new idle time holds for every session


def test_general_settings_refuse_bad_session_lifetimes(admin, web_host):
    response = post_form(admin, "/admin/settings", {"admin_session_idle_minutes": "1000"})
    assert response.status_code == 400
    assert "Admin idle timeout must not be longer than the Admin session lifetime" in response.text
    field = 'name="admin_session_idle_minutes" aria-invalid="true" aria-describedby="e-admin_session_idle_minutes"'
    assert f'{field} value="1000"' in response.text
    response = post_form(admin, "/admin/settings", {"client_session_lifetime_minutes": "soon"})
    assert response.status_code == 400 and "must be a whole number of minutes" in response.text
    assert web_host.settings.get("admin_session_idle_minutes") == "120"
