"""CSRF, sessions, login throttling and the admin login record."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hostsim.config import HostConfig
from hostsim.db.models import ActivityLog
from hostsim.host import Host
from hostsim.plugins.manager import get_plugin_manager
from hostsim.web import create_app
from tests.web.conftest import (
    ADMIN_PASSWORD,
    CLIENT_PASSWORD,
    add_client,
    csrf_of,
    login_admin,
    login_client,
    post_form,
)


def test_post_without_csrf_token_is_refused(app, anon, web_host):
    response = anon.post("/admin/login", data={"username": "boss", "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert b"Form Expired" in response.data
    assert "admin_id" not in (anon.get_cookie("hostsim_session") or "")
    # A logged-in admin's state-changing POST without a token does nothing either.
    login_admin(anon)
    response = anon.post("/admin/addonmodules/demo/activate")
    assert response.status_code == 400
    assert not web_host.lifecycle.is_active("demo")


def test_post_with_a_token_of_another_session_is_refused(app, web_host):
    first, second = app.test_client(), app.test_client()
    token = csrf_of(first.get("/admin/login").data)
    second.get("/admin/login")
    response = second.post("/admin/login", data={"csrf_token": token, "username": "boss", "password": ADMIN_PASSWORD})
    assert response.status_code == 400


def test_session_cookie_flags(anon):
    anon.get("/login")
    cookie = anon.get_cookie("hostsim_session")
    assert cookie is not None
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


def test_session_cookie_is_secure_behind_https(db_url, tmp_path):
    config = HostConfig(home=tmp_path / "home", database_url=db_url, base_url="https://billing.example.com")
    host = Host(config, pm=get_plugin_manager(autoload=False))
    try:
        client = create_app(host).test_client()
        client.get("/login")
        cookie = client.get_cookie("hostsim_session", domain="localhost")
        assert cookie is not None and cookie.secure
    finally:
        host.engine.dispose()


def test_login_starts_a_new_session(app, anon):
    anon.get("/admin/login")
    with anon.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    assert login_admin(anon).status_code == 302
    with anon.session_transaction() as sess:
        assert "planted" not in sess
        assert isinstance(sess["admin_id"], int)


def test_admin_and_client_logins_are_separate(app, anon, web_host):
    add_client(web_host, "ada@example.com")
    login_admin(anon)
    login_client(anon, "ada@example.com")
    assert anon.get("/admin/").status_code == 200
    assert anon.get("/clientarea").status_code == 200
    post_form(anon, "/logout")
    assert anon.get("/clientarea").status_code == 302
    assert anon.get("/admin/").status_code == 200  # the admin stays logged in


def test_successful_admin_login_is_logged(app, anon, web_host):
    response = login_admin(anon)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    with web_host.sessions() as s:
        entries = [e.description for e in s.scalars(select(ActivityLog))]
    assert "Admin boss logged in" in entries


def test_admin_login_is_throttled_per_username(app, anon, web_host):
    for _ in range(5):
        response = login_admin(anon, password="wrong-password")
        assert b"Login failed" in response.data
    response = login_admin(anon)  # the right password no longer helps
    assert response.status_code == 429
    assert b"Too many failed logins; try again in 15 minutes" in response.data
    with anon.session_transaction() as sess:
        assert "admin_id" not in sess
    web_host.clock.advance(timedelta(minutes=16))
    assert login_admin(anon).status_code == 302


def test_client_login_is_throttled_per_address(app, anon, web_host):
    add_client(web_host, "ada@example.com")
    for n in range(30):  # different usernames, same address: the per-address limit (an office NAT shares one)
        login_client(anon, f"nobody{n}@example.com", password="Wrong-pass-1")
    response = login_client(anon, "ada@example.com")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.data
    web_host.clock.advance(timedelta(minutes=10))
    assert b"try again in 5 minutes" in login_client(anon, "ada@example.com").data
    web_host.clock.advance(timedelta(minutes=6))
    assert login_client(anon, "ada@example.com").status_code == 302


def test_login_redirects_only_within_the_site(app, anon, web_host):
    add_client(web_host, "ada@example.com")
    anon.get("/login")
    token = csrf_of(anon.get("/login").data)
    response = anon.post("/login?next=//evil.example/x", data={"csrf_token": token, "email": "ada@example.com",
                                                                 "password": CLIENT_PASSWORD})
    assert response.headers["Location"] == "/clientarea"


def test_security_headers(anon):
    response = anon.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
