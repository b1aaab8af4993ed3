"""One configurable fake addon for the host's own tests: lifecycle, cron, CLI and web pages.

Like a real addon it imports nothing of ``hostsim`` but the public addon API
(``hostsim.addon_api`` and ``hostsim.addon_api.web``). Every hook is implemented once, in
:class:`FakeAddon`; its options say what each hook does, and a hook left unconfigured answers
as an addon without it would (``None``, ``[]``, no change). Each hook given a host checks that it
is the addon facade, so every test using a fake also checks that promise of ``docs/hooks.md``.

What a fake saw is recorded, in order:

* ``calls``: addon calls and host events as tuples: ``("activate",)``, ``("deactivate",)``,
  ``("upgrade", "0.9")``, ``("invoice_paid", 7)``, ``("client_edit", 3, ["email"])``, ``("navbar",)``;
* ``events``: the cron timeline as text: ``"pre"``, ``"task:DemoTask:2026-08-01"``,
  ``"daily:2026-08-01"``, ``"after"``.

:class:`RecordingAddon` and :class:`CronAddon` are the same fake with the defaults the host and
cron tests share; the ``demo_*`` functions are the pages of the web tests' demo addon.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import click
from flask import Blueprint, Response, jsonify, request
from markupsafe import escape

from hostsim.addon_api import (
    ActivationResult,
    AddonConfig,
    AdminPage,
    ClientAreaPage,
    ClientAreaRequest,
    ConfigField,
    CronContext,
    CronTaskSpec,
    Host,
    JsonAnswer,
    MenuItem,
    hookimpl,
)
from hostsim.addon_api.web import csrf_exempt_blueprint, current_client_id, render_client_page

#: One field of every type the Addon Modules page renders.
FIELDS = (
    ConfigField("api_user", "API User", "text", default="admin", description="The API user name"),
    ConfigField("api_secret", "API Secret", "password"),
    ConfigField("enabled", "Enabled", "yesno", default="on"),
    ConfigField("mode", "Mode", "dropdown", default="live", options=("live", "test")),
    ConfigField("colour", "Colour", "radio", default="red", options=("red", "blue")),
    ConfigField("notes", "Notes", "textarea", rows=4),
)

#: The fields of an addon that talks to a remote service (the cron and CLI tests configure these).
SERVICE_FIELDS = (
    ConfigField("url", "Installation URL", "text", default="https://example.test"),
    ConfigField("api_key", "API Key", "password"),
    ConfigField("enabled", "Enabled", "yesno", default="on"),
    ConfigField("region", "Region", "dropdown", default="eu", options=("eu", "us")),
    ConfigField("grace_days", "Grace days", "text", default="7"),
)

#: The answer of an addon that cannot be activated.
REFUSED = ActivationResult("error", "the database is missing a table")

Task = Callable[[CronContext], None]
Page = Callable[[Host, Any], Any]
Menu = Callable[[Host, MenuItem, Any], None]


class FakeAddon:
    """An addon whose hooks do what its options say, and which records what it was asked.

    :param name: the module name it is installed under (its CLI group, its cron tasks' module).
    :param version: the version ``addon_config`` declares.
    :param title: the name on the Addon Modules page (default: ``name`` in title case).
    :param fields: its config fields (default: one of every type).
    :param activation: what ``addon_activate`` answers (``None``: success); ``deactivation`` likewise.
    :param tasks: cron tasks, name -> ``run(ctx)``, priorities 100, 101... in this order.
    :param frequency: every task's frequency in minutes.
    :param cli: give ``hostsim <name>`` a group with a ``hello`` command that reads the settings.
    :param commands: top-level commands for ``register_commands``.
    :param admin_page: ``(host, page) -> HTML or response`` for the admin page; ``sidebar``: its HTML.
    :param client_area: ``(host, page) -> ClientAreaPage, JsonAnswer or response``.
    :param blueprint: ``(host) -> Blueprint`` mounted under ``/modules/addons/<name>/``.
    :param navbar: ``(host, navbar, client)`` changing the primary navbar; ``account_menu`` the secondary.
    :param panels: ``(host, panels, client)`` adding homepage panels.
    :param refuse: ``{field: message}`` that ``client_details_validation`` answers for every change.
    """

    def __init__(self, name: str = "fake", version: str = "1.0", *, title: str = "", author: str = "tests",
                 description: str = "", fields: Sequence[ConfigField] = FIELDS,
                 activation: ActivationResult | None = None, deactivation: ActivationResult | None = None,
                 tasks: Mapping[str, Task] | None = None, frequency: int = 1440, cli: bool = False,
                 commands: Sequence[click.Command] = (), admin_page: Page | None = None, sidebar: str | None = None,
                 client_area: Page | None = None, blueprint: Callable[[Host], Blueprint] | None = None,
                 navbar: Menu | None = None, account_menu: Menu | None = None, panels: Menu | None = None,
                 refuse: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.version = version
        self.config = AddonConfig(name=title or name.title(), version=version, author=author,
                                  description=description, fields=tuple(fields))
        self.activation, self.deactivation = activation, deactivation
        self.tasks = dict(tasks or {})
        self.frequency = frequency
        self.cli, self.commands = cli, list(commands)
        self.admin_page, self.sidebar, self.client_area = admin_page, sidebar, client_area
        self.blueprint, self.navbar, self.account_menu, self.panels = blueprint, navbar, account_menu, panels
        self.refuse = dict(refuse or {})
        self.calls: list[tuple[Any, ...]] = []
        self.events: list[str] = []

    def __repr__(self) -> str:
        return f"FakeAddon({self.name!r})"

    def _facade(self, host: object) -> Host:
        # The promise every hook relies on: the addon facade, never the host's internals.
        if not isinstance(host, Host):
            raise TypeError(f"addon {self.name}: a hook received {type(host).__qualname__}, not hostsim.addon_api.Host")
        return host

    # --- addon calls -----------------------------------------------------------------------

    @hookimpl
    def addon_config(self) -> AddonConfig:
        return self.config

    @hookimpl
    def addon_activate(self, host: Host) -> ActivationResult | None:
        self._facade(host)
        self.calls.append(("activate",))
        return self.activation

    @hookimpl
    def addon_deactivate(self, host: Host) -> ActivationResult | None:
        self._facade(host)
        self.calls.append(("deactivate",))
        return self.deactivation

    @hookimpl
    def addon_upgrade(self, host: Host, previous_version: str) -> None:
        self._facade(host)
        self.calls.append(("upgrade", previous_version))

    @hookimpl
    def addon_admin_output(self, host: Host, page: AdminPage) -> Any:
        return self.admin_page(self._facade(host), page) if self.admin_page else None

    @hookimpl
    def addon_admin_sidebar(self, host: Host, page: AdminPage) -> str | None:
        self._facade(host)
        return self.sidebar

    @hookimpl
    def addon_client_area(self, host: Host, page: ClientAreaRequest) -> Any:
        return self.client_area(self._facade(host), page) if self.client_area else None

    @hookimpl
    def addon_blueprint(self, host: Host) -> Blueprint | None:
        return self.blueprint(self._facade(host)) if self.blueprint else None

    @hookimpl
    def addon_cli(self, host: Host) -> click.Command | None:
        if not self.cli:
            return None
        api = self._facade(host)
        name = self.name

        @click.group(help=f"Commands of the {name} addon.")
        def group() -> None:
            pass

        @group.command()
        def hello() -> None:
            """Greet with the addon's settings (secrets left out), read through the facade."""
            secret = {f.key for f in self.config.fields if f.type == "password"}
            values = api.addon_settings.get_all(name)
            click.echo(f"hello from {name}: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items())
                                                           if k not in secret))

        return group

    # --- collectors ------------------------------------------------------------------------

    @hookimpl
    def register_commands(self) -> list[click.Command]:
        return list(self.commands)

    @hookimpl
    def register_cron_tasks(self, host: Host) -> list[CronTaskSpec]:
        self._facade(host)
        return [CronTaskSpec(name=name, run=self._recorded(name, run), module=self.name,
                             frequency_minutes=self.frequency, priority=100 + i)
                for i, (name, run) in enumerate(self.tasks.items())]

    def _recorded(self, name: str, run: Task) -> Task:
        def recorded(ctx: CronContext) -> None:
            self.events.append(f"task:{name}:{ctx.today.isoformat()}")
            run(ctx)
        return recorded

    # --- events ----------------------------------------------------------------------------

    @hookimpl
    def pre_cron_job(self, host: Host, ctx: CronContext) -> None:
        self._facade(host)
        self.events.append("pre")

    @hookimpl
    def daily_cron_job(self, host: Host, ctx: CronContext) -> None:
        self._facade(host)
        self.events.append(f"daily:{ctx.today.isoformat()}")

    @hookimpl
    def after_cron_job(self, host: Host, ctx: CronContext) -> None:
        self._facade(host)
        self.events.append("after")

    @hookimpl
    def client_area_primary_navbar(self, host: Host, navbar: MenuItem, client: Any) -> None:
        self._facade(host)
        self.calls.append(("navbar",))
        if self.navbar:
            self.navbar(host, navbar, client)

    @hookimpl
    def client_area_secondary_navbar(self, host: Host, navbar: MenuItem, client: Any) -> None:
        if self.account_menu:
            self.account_menu(self._facade(host), navbar, client)

    @hookimpl
    def client_area_homepage_panels(self, host: Host, panels: MenuItem, client: Any) -> None:
        if self.panels:
            self.panels(self._facade(host), panels, client)

    @hookimpl
    def invoice_paid(self, host: Host, invoice_id: int) -> None:
        self._facade(host)
        self.calls.append(("invoice_paid", invoice_id))

    @hookimpl
    def client_details_validation(self, host: Host, client_id: int,
                                  changes: dict[str, tuple[Any, Any]]) -> dict[str, str] | None:
        self._facade(host)
        self.calls.append(("client_details_validation", client_id, sorted(changes)))
        return self.refuse or None

    @hookimpl
    def client_edit(self, host: Host, client_id: int, changes: dict[str, tuple[Any, Any]]) -> None:
        self._facade(host)
        self.calls.append(("client_edit", client_id, sorted(changes)))

    @hookimpl
    def client_status_change(self, host: Host, client_id: int, old_status: Any, new_status: Any) -> None:
        self._facade(host)
        self.calls.append(("client_status_change", client_id, old_status.value, new_status.value))


# --- the defaults the host and cron tests share ------------------------------------------------


class RecordingAddon(FakeAddon):
    """The host tests' fake: every field type, activation refused on request, and a menu item
    of its own (``<name>-menu``) to show which addons an event reached."""

    def __init__(self, name: str, version: str = "1.0", *, activate_status: str = "success") -> None:
        def own_menu(host: Host, navbar: MenuItem, client: Any) -> None:
            navbar.add_child(f"{name}-menu", label=name)

        super().__init__(name, version, activation=REFUSED if activate_status == "error" else None, navbar=own_menu)


def demo_task(ctx: CronContext) -> None:
    """The cron tests' default task: a counter, and a line at ``-v``."""
    ctx.counters["invoices"] = 3
    ctx.say(1, "demo task says hello")


class CronAddon(FakeAddon):
    """The cron and CLI tests' fake: service settings, cron tasks (``DemoTask`` unless given),
    and a ``hostsim <name> hello`` command."""

    def __init__(self, name: str = "demo", tasks: Mapping[str, Task] | None = None, frequency: int = 1440) -> None:
        super().__init__(name, "1.2.0", fields=SERVICE_FIELDS, cli=True, frequency=frequency,
                         tasks=tasks if tasks is not None else {"DemoTask": demo_task})


def failing(ctx: CronContext) -> None:
    raise RuntimeError("the API said no")


def partly_failing(ctx: CronContext) -> None:
    ctx.counters.update({"invoices": 4, "failed": 1})


def ok(ctx: CronContext) -> None:
    ctx.counters["ok"] = 1


# --- the web tests' demo addon: a page of every kind ---------------------------------------------


def demo_admin_page(host: Host, page: AdminPage) -> Any:
    if page.request.args.get("download"):
        return Response("a,b\n1,2\n", mimetype="text/csv")
    if page.request.method == "POST":
        return f"<p class='posted'>Got {escape(page.request.form.get('note', ''))}</p>"
    secret_set = "yes" if page.settings.get("api_secret") else "no"
    return (f"<div class='demo-output'><h2>Demo admin page</h2><p>User: {escape(page.settings['api_user'])}</p>"
            f"<p>Secret set: {secret_set}</p><a href='{escape(page.module_link)}&amp;tab=2'>Tab 2</a>"
            f"<form method='post'><input type='hidden' name='csrf_token' value='{page.csrf_token}'>"
            f"<input name='note'><button>Send</button></form></div>")


DEMO_SIDEBAR = "<ul class='demo-sidebar'><li>Sidebar link</li></ul>"


def demo_client_area(host: Host, page: ClientAreaRequest) -> Any:
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


def demo_blueprint(host: Host) -> Blueprint:
    bp = Blueprint("demo", __name__)

    @bp.get("/ping")
    def ping() -> str:
        return "pong"

    @bp.post("/echo")
    def echo() -> str:
        return request.form.get("word", "")

    @bp.get("/page")
    def page() -> str:
        return render_client_page("Blueprint Page", host.templates.template_name("demo", "hello"),
                                  greeting=f"client {current_client_id()}")

    return bp


def demo_navbar(host: Host, navbar: MenuItem, client: Any) -> None:
    if client is None:
        store = navbar.get_child("Store")
        if store is not None:
            store.add_child("Demo Cloud", uri="/index.php?m=demo&action=public", order=50)
        return
    menu = navbar.get_child("Website & Security") or navbar.add_child("Website & Security", order=40)
    menu.add_child("Demo Cloud", uri="/index.php?m=demo", order=10)


def demo_panels(host: Host, panels: MenuItem, client: Any) -> None:
    panels.add_child("Demo Panel", label="Demo Cloud", icon="cloud", order=5, badge="New",
                     body_html=f"<p class='demo-body'>Hi {escape(client.first_name)}</p>",
                     footer_html="<a href='/index.php?m=demo'>Open demo</a>")


def token_api_blueprint(host: Host) -> Blueprint:
    """A Bearer-token JSON API, mounted without CSRF protection."""
    bp = csrf_exempt_blueprint(Blueprint("apiaddon", __name__))

    @bp.post("/hook")
    def hook() -> Any:
        if request.headers.get("Authorization") != "Bearer t0ken":
            return jsonify({"error": "unauthorised"}), 401
        return jsonify({"received": request.get_json(silent=True)})

    return bp
