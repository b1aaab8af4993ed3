"""Small addons the web tests register; their templates live in ``tests/web/templates``."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from markupsafe import escape

from hostsim.plugins import hookimpl
from hostsim.plugins.types import (
    ActivationResult,
    AddonConfig,
    ClientAreaPage,
    ConfigField,
    JsonAnswer,
)
from hostsim.web.context import current_client_id, render_client_page
from hostsim.web.security import csrf_exempt_blueprint

SECRET = "Sup3r-Secret-Value-42"

FIELDS = (
    ConfigField("api_user", "API User", "text", default="admin", description="The API user name"),
    ConfigField("api_secret", "API Secret", "password"),
    ConfigField("enabled", "Enabled", "yesno", default="on"),
    ConfigField("mode", "Mode", "dropdown", default="live", options=("live", "test")),
    ConfigField("colour", "Colour", "radio", default="red", options=("red", "blue")),
    ConfigField("notes", "Notes", "textarea", rows=4),
)


class DemoAddon:
    """An addon with every page kind: admin output and sidebar, client page, menus, a blueprint."""

    def __init__(self, version: str = "1.0") -> None:
        self.version = version
        self.calls: list[tuple] = []

    @hookimpl
    def addon_config(self) -> AddonConfig:
        return AddonConfig(name="Demo Addon", version=self.version, author="Demo Author",
                           description="A demonstration addon for the web tests.", fields=FIELDS)

    @hookimpl
    def addon_activate(self, host):
        self.calls.append(("activate",))
        return ActivationResult("success", "Demo Addon is ready to use")

    @hookimpl
    def addon_deactivate(self, host):
        self.calls.append(("deactivate",))

    @hookimpl
    def addon_upgrade(self, host, previous_version):
        self.calls.append(("upgrade", previous_version))

    @hookimpl
    def addon_admin_output(self, host, page):
        if page.request.args.get("download"):
            return Response("a,b\n1,2\n", mimetype="text/csv")
        if page.request.method == "POST":
            return f"<p class='posted'>Got {escape(page.request.form.get('note', ''))}</p>"
        secret_set = "yes" if page.settings.get("api_secret") else "no"
        return (f"<div class='demo-output'><h2>Demo admin page</h2><p>User: {escape(page.settings['api_user'])}</p>"
                f"<p>Secret set: {secret_set}</p><a href='{escape(page.module_link)}&amp;tab=2'>Tab 2</a>"
                f"<form method='post'><input type='hidden' name='csrf_token' value='{page.csrf_token}'>"
                f"<input name='note'><button>Send</button></form></div>")

    @hookimpl
    def addon_admin_sidebar(self, host, page):
        return "<ul class='demo-sidebar'><li>Sidebar link</li></ul>"

    @hookimpl
    def addon_client_area(self, host, page):
        action = page.request.args.get("action", "")
        if action == "json":
            return JsonAnswer({"ok": True, "client_id": page.client_id}, status=202)
        if action == "missing":
            return ClientAreaPage("Missing", "no-such-template")
        if action == "public":
            return ClientAreaPage("Public Page", "post-pay/landing", vars={"who": "visitor"})
        if action == "boom":
            raise RuntimeError("internal detail that must not leak")
        if page.request.method == "POST":
            return ClientAreaPage("Posted", "hello", requirelogin=True,
                                  vars={"greeting": "Posted " + page.request.form.get("word", "")})
        return ClientAreaPage("Demo Page", "hello", breadcrumb=[("Demo", page.module_link), ("Hello", "")],
                              requirelogin=True, vars={"greeting": "<b>Hello</b>", "extra": page.request.args.get("x", "")})

    @hookimpl
    def addon_blueprint(self, host):
        bp = Blueprint("demo", __name__)

        @bp.get("/ping")
        def ping():
            return "pong"

        @bp.post("/echo")
        def echo():
            return request.form.get("word", "")

        @bp.get("/page")
        def page():
            return render_client_page("Blueprint Page", "addons/demo/hello.tpl",
                                      greeting=f"client {current_client_id()}")

        return bp

    @hookimpl
    def client_area_primary_navbar(self, host, navbar, client):
        if client is None:
            store = navbar.get_child("Store")
            if store is not None:
                store.add_child("Demo Cloud", uri="/index.php?m=demo&action=public", order=50)
            return
        menu = navbar.get_child("Website & Security") or navbar.add_child("Website & Security", order=40)
        menu.add_child("Demo Cloud", uri="/index.php?m=demo", order=10)

    @hookimpl
    def client_area_homepage_panels(self, host, panels, client):
        panels.add_child("Demo Panel", label="Demo Cloud", icon="cloud", order=5, badge="New",
                         body_html=f"<p class='demo-body'>Hi {escape(client.first_name)}</p>",
                         footer_html="<a href='/index.php?m=demo'>Open demo</a>")

    @hookimpl
    def client_edit(self, host, client_id, changes):
        self.calls.append(("client_edit", client_id, sorted(changes)))


class ApiAddon:
    """An addon whose blueprint is a Bearer-token JSON API, mounted without CSRF."""

    @hookimpl
    def addon_config(self) -> AddonConfig:
        return AddonConfig(name="Api Addon", version="2.0", author="Tests")

    @hookimpl
    def addon_blueprint(self, host):
        bp = csrf_exempt_blueprint(Blueprint("apiaddon", __name__))

        @bp.post("/hook")
        def hook():
            if request.headers.get("Authorization") != "Bearer t0ken":
                return jsonify({"error": "unauthorised"}), 401
            return jsonify({"received": request.get_json(silent=True)})

        return bp


class BrokenAddon:
    """An addon whose activation fails."""

    @hookimpl
    def addon_config(self) -> AddonConfig:
        return AddonConfig(name="Broken Addon", version="0.1", author="Tests")

    @hookimpl
    def addon_activate(self, host):
        return ActivationResult("error", "the database is missing a table")
