"""Addon blueprints mounted under /modules/addons/<module>: the active gate, CSRF exemption, helpers."""

from __future__ import annotations

from flask import Blueprint

from hostsim.web import create_app
from tests.fake_addons import FakeAddon
from tests.web.conftest import activate, add_client, csrf_of, login_client, post_form


def test_blueprint_answers_only_while_the_addon_is_active(app, anon, web_host):
    assert anon.get("/modules/addons/demo/ping").status_code == 404
    activate(web_host)
    response = anon.get("/modules/addons/demo/ping")
    assert response.status_code == 200 and response.data == b"pong"
    # Another process deactivates it: the same running app stops answering at once.
    web_host.lifecycle.deactivate("demo")
    response = anon.get("/modules/addons/demo/ping")
    assert response.status_code == 404 and b"Page Not Found" in response.data
    activate(web_host)
    assert anon.get("/modules/addons/demo/ping").status_code == 200


def test_blueprint_posts_need_csrf_unless_the_addon_exempts_them(anon, web_host):
    activate(web_host)
    activate(web_host, "apiaddon")
    assert anon.post("/modules/addons/demo/echo", data={"word": "hi"}).status_code == 400
    token = csrf_of(anon.get("/login").data)
    response = anon.post("/modules/addons/demo/echo", data={"word": "hi", "csrf_token": token})
    assert response.status_code == 200 and response.data == b"hi"
    response = anon.post("/modules/addons/apiaddon/hook", json={"n": 1}, headers={"Authorization": "Bearer t0ken"})
    assert response.status_code == 200 and response.get_json() == {"received": {"n": 1}}
    assert anon.post("/modules/addons/apiaddon/hook", json={}).status_code == 401


def test_render_client_page_puts_an_addon_template_in_the_theme_layout(anon, web_host):
    activate(web_host)
    cid = add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    html = anon.get("/modules/addons/demo/page").get_data(as_text=True)
    assert '<h1 class="page-title">Blueprint Page</h1>' in html
    assert f'<div class="demo-hello">client {cid}' in html
    assert 'class="site-header"' in html and "Hello, Ada" in html


def test_a_blueprint_that_fails_to_build_does_not_stop_the_app(make_host):
    def cannot_build(host):
        raise RuntimeError("cannot build")

    def named_like_the_admin_area(host):
        bp = Blueprint("admin", __name__)
        bp.add_url_rule("/x", view_func=lambda: "hijacked")
        return bp

    faulty = FakeAddon("faulty", blueprint=cannot_build)
    clash = FakeAddon("clash", blueprint=named_like_the_admin_area)
    host = make_host(("faulty", faulty), ("clash", clash))
    client = create_app(host).test_client()
    assert client.get("/").status_code == 200
    host.lifecycle.activate("clash")
    assert client.get("/modules/addons/clash/x").status_code == 404


def test_logout_form_in_the_navbar_works(anon, web_host):
    add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    response = post_form(anon, "/logout", token_from="/clientarea", follow_redirects=True)
    assert "You have been logged out." in response.get_data(as_text=True)
