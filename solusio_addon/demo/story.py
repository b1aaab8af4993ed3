"""The story ``hostsim demo`` tells, on a fresh SQLite instance, through the real code paths.

The SolusIO simulator runs in this process on a loopback port, and the host's web application is
served for real (waitress, loopback, in a thread), so every HTTP path of the addon runs: Test
Connection configures SolusIO's billing integration with the served URL, SolusIO asks the host
for token prices, three visitors sign up on the landing page and follow the link the host emailed
them (read from the email log: no SMTP is configured), the cron runner runs SolusioAutomation,
and a payment reactivates a suspended SolusIO user through the InvoicePaid hook.

The story is fixed in July and August 2026 so that it tells the same thing whenever it runs: the
host's clock (a Clock of the demo's own Host) and the simulator's clock are moved; the process
clock and the system clock are not touched.

Secrets: the simulator's API key and the billing-integration secret are never printed. The admin
password is generated and shown once; the demo clients' passwords are demo data.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import requests
from sqlalchemy import select

from hostsim.money import format_money, round_money

if TYPE_CHECKING:
    from hostsim.host import Host
    from solusio_sim import SimServer

UTC = timezone.utc

#: Marks a folder as made by ``hostsim demo`` (only such a folder is ever deleted, by --reset).
MARKER = ".hostsim-demo"

STORY_START = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # signups
INVOICE_DAY = date(2026, 8, 1)  # SolusioAutomation bills July
PAYMENT_DAY = date(2026, 8, 5)  # two clients pay on time
HOUR_OF_DAY = 6  # UTC hour the story's later days happen at

GRACE_DAYS, LOCK_DAYS, SUSPEND_DAYS = 14, 7, 14
TOKEN_PRICES = {"USD": "0.0100", "EUR": "0.0092"}
COMPANY = "Demo Cloud"
TOS_URL = "https://example.com/terms"
POSTPAY_TERMS_URL = "https://example.com/postpay-terms"
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
#: The demo clients' password (demo data: printed by ``--serve`` so you can log in as them).
CLIENT_PASSWORD = "Cloud-Demo-2026!"

HTTP_TIMEOUT = 30
LANDING = "/index.php?m=solusio"
SIGNUP_PATH = "/modules/addons/solusio/signup"
COMPLETE_PATH = "/modules/addons/solusio/signup/complete"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"(https?://\S+/modules/addons/solusio/signup/complete\?token=[A-Za-z0-9_.\-]+)")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Server:
    name: str
    plan: str
    start: str
    stop: str | None = None
    additional_ips: int = 0


@dataclass(frozen=True)
class Persona:
    first_name: str
    last_name: str
    company: str
    email: str
    currency: str
    story: str
    servers: tuple[Server, ...]
    pays_on_time: bool = True


PERSONAS = (
    Persona("Ada", "Lovelace", "Analytical Engines Ltd", "ada@example.com", "USD",
            "a Small server for one week", (Server("ada-web", "Small", "2026-07-03T09:00", "2026-07-10T09:00"),)),
    Persona("Grace", "Hopper", "Compiler Works GmbH", "grace@example.com", "EUR",
            "a Medium server all month (the monthly cap applies); does not pay",
            (Server("grace-build", "Medium", "2026-07-01T09:00"),), pays_on_time=False),
    Persona("Alan", "Turing", "Bletchley Labs", "alan@example.com", "USD",
            "a Small server with one additional IP from the 15th",
            (Server("alan-app", "Small", "2026-07-15T00:00", additional_ips=1),)),
)


class DemoError(Exception):
    """The story could not be told: what went wrong, in one sentence."""


class FolderError(DemoError):
    """The demo folder cannot be used (nothing was changed)."""


def prepare_home(home: Path, *, reset: bool) -> None:
    """Make ``home`` an empty demo folder, or refuse (never deletes a folder it did not make)."""
    if home.exists() and not home.is_dir():
        raise FolderError(f"{home} exists and is not a folder; choose another --home")
    if home.is_dir() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise FolderError(f"{home} is not empty and was not made by 'hostsim demo'; nothing was changed. "
                              "Choose an empty or new folder with --home")
        if not reset:
            raise FolderError(f"{home} holds the demo of an earlier run (its simulator stopped with that run). "
                              "Run 'hostsim demo --reset' to delete it and start again, or choose another "
                              "folder with --home")
        for child in home.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("Made by 'hostsim demo'; 'hostsim demo --reset' deletes this folder's contents.\n")
    (home / ".gitignore").write_text("# a demo instance: never committed\n*\n")


class LoopbackWeb:
    """The host's web application under waitress on 127.0.0.1, in a background thread.

    The socket is bound first (its URL is the host's base URL, needed to build the Host); the
    application is plugged in once it exists (``app``); until then requests get a 503.
    """

    def __init__(self, port: int = 0, threads: int = 8) -> None:
        import waitress  # type: ignore[import-untyped]

        self.app: Callable[..., Any] | None = None
        try:
            self._server = waitress.create_server(self._dispatch, host="127.0.0.1", port=port, threads=threads,
                                                  ident="hostsim", asyncore_loop_timeout=0.2)
        except OSError as exc:
            raise DemoError(f"--port {port}: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="hostsim-demo-web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}"

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        app = self.app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return app(environ, start_response)

    def _run(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):  # the sockets were closed under the loop by stop()
            if not self._stopping:
                raise

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self._server.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


@dataclass
class DemoClient:
    persona: Persona
    client_id: int = 0
    solusio_user_id: int = 0
    invoice_id: int = 0
    total: Decimal = Decimal("0")
    currency: str = ""


@dataclass
class DemoResult:
    home: Path
    web_url: str
    sim_url: str
    admin_username: str
    admin_password: str = field(repr=False)
    clients: list[DemoClient]
    seconds: float


class Demo:
    """One telling of the story. ``run()`` leaves the web app and the simulator running (for
    ``--serve``); ``close()`` stops them. Use as a context manager."""

    def __init__(self, home: Path, *, verbosity: int = 0, port: int = 0,
                 echo: Callable[..., None] | None = None) -> None:
        import click

        self.home = home
        self.verbosity = verbosity
        self.port = port
        self.echo = echo or click.echo
        self.clients: list[DemoClient] = []
        self.sim: SimServer | None = None
        self.web: LoopbackWeb | None = None
        self._host: Host | None = None
        self._started = 0.0
        self._step = 0

    # --- output ------------------------------------------------------------------------------

    def section(self, title: str) -> None:
        self._step += 1
        self.echo("")
        self.echo(f"== {self._step}. {title}")

    def say(self, message: str) -> None:
        self.echo(f"  {message}")

    def note(self, message: str) -> None:
        """Progress, shown at -v."""
        if self.verbosity:
            self.echo(f"  .. {message}")

    @staticmethod
    def expect(condition: object, message: str) -> None:
        if not condition:
            raise DemoError(message)

    @property
    def host(self) -> "Host":
        assert self._host is not None, "start() first"
        return self._host

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "Demo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.web is not None:
            self.web.stop()
        if self.sim is not None:
            self.sim.stop()
        if self._host is not None:
            self._host.engine.dispose()

    # --- the story ---------------------------------------------------------------------------

    def run(self) -> DemoResult:
        self._started = time.monotonic()
        admin_password = self.start()
        self.connect_addon()
        self.sign_up_clients()
        self.run_servers_in_july()
        self.invoice_july()
        self.pay_on_time()
        unpaid = self.overdue_story()
        self.final_payment(unpaid)
        seconds = time.monotonic() - self._started
        self.summary(seconds)
        assert self.web is not None and self.sim is not None
        return DemoResult(self.home, self.web.url, self.sim.url, ADMIN_USERNAME, admin_password, self.clients,
                          seconds)

    def start(self) -> str:
        """Simulator, web server and instance; returns the new admin's password."""
        import solusio_addon.plugin
        from hostsim.clock import Clock
        from hostsim.config import HostConfig
        from hostsim.host import Host
        from hostsim.plugins.manager import get_plugin_manager
        from hostsim.services.bootstrap import create_admin, init_instance
        from hostsim.web import create_app
        from solusio_sim import SimServer
        from solusio_sim.seed import seed_demo

        self.section("A SolusIO simulator and a fresh host instance")
        self.say("The story is set in July and August 2026: the host's and the simulator's clocks are moved, "
                 "your system clock is not.")
        self.note("starting the SolusIO simulator on 127.0.0.1")
        self.sim = SimServer()
        self.sim.start()
        seed_demo(self.sim.state)
        self.sim.state.clock.set(STORY_START)
        groups = ", ".join(g.name for g in self.sim.state.limit_groups.values())
        plans = ", ".join(f"{p.name} ({p.tokens_per_hour} tokens/h, cap {p.tokens_per_month}/month)"
                          for p in self.sim.state.plans.values())
        self.say(f"SolusIO simulator at {self.sim.url}")
        self.say(f"  limit groups: {groups}; plans: {plans}")

        self.note("binding the host's web server on 127.0.0.1")
        self.web = LoopbackWeb(self.port)
        clock = Clock("UTC")
        clock.set_now(STORY_START)
        home = self.home.resolve()
        config = HostConfig(home=home, database_url=f"sqlite:///{home / 'hostsim.sqlite3'}", base_url=self.web.url)
        pm = get_plugin_manager(autoload=False, addons=[("solusio", solusio_addon.plugin)])
        self._host = Host(config, pm=pm, clock=clock)
        self.note("creating the SQLite database and seeding roles and currencies")
        init_instance(self.host)
        password = create_admin(self.host, ADMIN_USERNAME, ADMIN_EMAIL)
        self.host.settings.set_many({"company_name": COMPANY, "tos_url": TOS_URL}, actor=ADMIN_USERNAME)
        self.web.app = create_app(self.host)
        self.web.start()
        self.say(f"Host instance in {config.home} (SQLite), company {COMPANY!r}, currencies USD (default) and EUR")
        self.say(f"Host web server at {self.web.url} (the addon tells SolusIO this URL)")
        self.say(f"Admin {ADMIN_USERNAME!r} created (its password is shown at the end)")
        return password

    def connect_addon(self) -> None:
        from hostsim.db.models import AdminRole
        from solusio_addon import settings as addon_settings
        from solusio_addon.connection import connect
        from solusio_addon.pricing import active_prices, save_prices, validate_prices

        assert self.sim is not None
        host = self.host
        self.section("Activate the SolusIO addon, connect it, set post-pay and prices")
        result = host.lifecycle.activate("solusio", actor=ADMIN_USERNAME)
        self.expect(result.status == "success", f"activating the addon failed: {result.description}")
        with host.sessions() as s:
            role_id = s.scalars(select(AdminRole.id).where(AdminRole.name == "Full Administrator")).one()
        host.lifecycle.set_access("solusio", [role_id], actor=ADMIN_USERNAME)
        self.say("Activated; access granted to the Full Administrator role group")

        self.note("Test Connection: checking the API key, then configuring SolusIO's billing integration")
        outcome = connect(host, self.sim.url, self.sim.admin_token, actor=ADMIN_USERNAME)
        self.expect(outcome.ok, f"Test Connection failed: {outcome.message}")
        self.say(f"Test Connection: {outcome.message}")
        driver = self.sim.state.billing_driver()
        self.expect(driver is not None and driver[0].startswith(self.web.url if self.web else ""),
                    "SolusIO's billing integration was not configured with the host's URL")
        assert driver is not None
        self.say(f"SolusIO's billing integration now calls the host at {driver[0]}")

        group = next(iter(self.sim.state.limit_groups.values()))
        addon_settings.save_postpay(host, addon_settings.PostPaySettings(
            limit_group_id=group.id, limit_group_name=group.name, terms_url=POSTPAY_TERMS_URL,
            grace_days=GRACE_DAYS, lock_days=LOCK_DAYS, suspend_days=SUSPEND_DAYS), actor=ADMIN_USERNAME)
        self.say(f"Post-pay: new users get limit group {group.name!r}; invoices due after {GRACE_DAYS} days; "
                 f"lock {LOCK_DAYS} and suspend {SUSPEND_DAYS} days after the due date")
        prices, errors = validate_prices(TOKEN_PRICES, active_prices(host), require_all=True)
        self.expect(not errors, f"token prices refused: {errors}")
        save_prices(host, prices, actor=ADMIN_USERNAME)
        shown = ", ".join(f"{code} {price}" for code, price in TOKEN_PRICES.items())
        self.say(f"Token prices: {shown} per token (post-pay is now enabled: 'Cloud Hosting' is in the Store menu)")

    # --- signups -----------------------------------------------------------------------------

    def sign_up_clients(self) -> None:
        from hostsim.db.models import Currency
        from hostsim.services.clients import update_client

        assert self.sim is not None
        self.section("Three visitors sign up on the landing page (2026-07-01)")
        for persona in PERSONAS:
            client = DemoClient(persona)
            client.client_id = self.sign_up(persona)
            user = self.sim.state.find_user_by_email(persona.email)
            self.expect(user is not None and user.billing_user_id == client.client_id,
                        f"SolusIO has no user for {persona.email} linked to client #{client.client_id}")
            assert user is not None
            client.solusio_user_id = user.id
            if persona.currency != "USD":
                with self.host.sessions() as s:
                    currency_id = s.scalars(select(Currency.id).where(Currency.code == persona.currency)).one()
                update_client(self.host, client.client_id, currency_id=currency_id, actor=ADMIN_USERNAME)
                self.say(f"  the admin sets the account's currency to {persona.currency} (client profile)")
            client.currency = persona.currency
            self.clients.append(client)
        self.quote_prices()

    def sign_up(self, persona: Persona) -> int:
        """The visitor's path: landing page, form, emailed link, terms; returns the new client id."""
        from hostsim.db.models import Client

        assert self.web is not None
        base = self.web.url
        http = requests.Session()
        http.trust_env = False  # loopback: never through a proxy from the environment
        with http:
            landing = http.get(base + LANDING, timeout=HTTP_TIMEOUT)
            self.expect(landing.status_code == 200 and CSRF_RE.search(landing.text),
                        f"the landing page answered {landing.status_code}")
            self.note(f"{persona.email}: GET {LANDING} (landing page), POST the signup form")
            sent = http.post(base + SIGNUP_PATH, timeout=HTTP_TIMEOUT, data={
                "first_name": persona.first_name, "last_name": persona.last_name, "company": persona.company,
                "email": persona.email, "password": CLIENT_PASSWORD, "csrf_token": _csrf(landing.text)})
            self.expect(sent.status_code == 200 and "We have sent an email" in sent.text,
                        f"the signup form for {persona.email} answered {sent.status_code}")
            link = self.emailed_link(persona.email)
            self.note(f"{persona.email}: link read from the email log, following it")
            terms = http.get(link, timeout=HTTP_TIMEOUT)
            self.expect(terms.status_code == 200 and "accept_tos" in terms.text,
                        f"the signup link for {persona.email} answered {terms.status_code}")
            done = http.post(base + COMPLETE_PATH, timeout=HTTP_TIMEOUT, data={
                "csrf_token": _csrf(terms.text), "token": link.split("token=", 1)[1],
                "accept_tos": "1", "accept_postpay": "1"})
            self.expect(done.status_code == 200 and "Log in to SolusIO" in done.text,
                        f"completing the signup of {persona.email} answered {done.status_code}")
        with self.host.sessions() as s:
            client_id = s.scalars(select(Client.id).where(Client.email == persona.email)).one()
        self.say(f"{persona.first_name} {persona.last_name} <{persona.email}>: form sent, link emailed, "
                 f"terms accepted -> client #{client_id}, SolusIO user provisioned")
        return client_id

    def emailed_link(self, address: str) -> str:
        from hostsim.db.models import EmailLog

        with self.host.sessions() as s:
            bodies = list(s.scalars(select(EmailLog.body_text).where(EmailLog.to == address)
                                    .order_by(EmailLog.id.desc())))
        for body in bodies:
            match = LINK_RE.search(body)
            if match:
                return match.group(1)
        raise DemoError(f"no signup link was emailed to {address}")

    def quote_prices(self) -> None:
        """SolusIO asks the host (billing integration) what a plan costs each client."""
        assert self.sim is not None
        plan = next(p for p in self.sim.state.plans.values() if p.name == "Small")
        quotes = []
        with requests.Session() as http:
            http.trust_env = False
            for client in self.clients:
                answer = http.get(f"{self.sim.api_url}plans/{plan.id}", params={"billing_user_id": client.client_id},
                                  headers={"Authorization": f"Bearer {self.sim.admin_token}"}, timeout=HTTP_TIMEOUT)
                price: dict[str, Any] = (answer.json().get("data") or {}).get("price") or {} if answer.ok else {}
                self.expect(price, f"SolusIO could not get a price for client #{client.client_id} from the host")
                per_month = format_money(Decimal(price["per_month"]), price["currency_code"])
                quotes.append(f"{client.persona.first_name} {per_month}")
        self.say(f"SolusIO asks the host for prices (billing integration): the {plan.name} plan costs at most "
                 f"{', '.join(quotes)} a month")

    # --- July --------------------------------------------------------------------------------

    def run_servers_in_july(self) -> None:
        assert self.sim is not None
        state = self.sim.state
        plans = {p.name: p.id for p in state.plans.values()}
        self.section("They run servers in SolusIO during July")
        for client in self.clients:
            for server in client.persona.servers:
                created = state.add_server(client.solusio_user_id, plans[server.plan], name=server.name,
                                           created_at=at(server.start), additional_ips=server.additional_ips)
                if server.stop:
                    state.stop_server(created.id, at=at(server.stop))
            self.say(f"{client.persona.first_name}: {client.persona.story}")
            for server in client.persona.servers:
                until = f"stopped {server.stop.replace('T', ' ')}" if server.stop else "still running"
                ips = f", {server.additional_ips} additional IP" if server.additional_ips else ""
                started = server.start.replace("T", " ")
                self.say(f"  {server.name} ({server.plan} plan{ips}): started {started}, {until}")

    # --- billing -----------------------------------------------------------------------------

    def move_clocks(self, day: date) -> None:
        moment = datetime(day.year, day.month, day.day, HOUR_OF_DAY, tzinfo=UTC)
        self.host.clock.set_now(moment)
        assert self.sim is not None
        self.sim.state.clock.set(moment)
        self.note(f"host and simulator clocks moved to {moment:%Y-%m-%d %H:%M} UTC")

    def run_automation(self, day: date) -> dict[str, Any]:
        """SolusioAutomation through the cron runner, as ``hostsim cron do --SolusioAutomation
        --today DAY`` runs it (so it is recorded as a CronRun); returns its counters."""
        from hostsim.cron import CronRunner
        from hostsim.db.models import CronRun
        from solusio_addon.billing.automation import TASK_NAME

        self.move_clocks(day)
        runner = CronRunner(self.host, verbosity=self.verbosity, echo=lambda m: self.echo(f"    {m}"),
                            echo_err=lambda m: self.echo(m, err=True), is_tty=False)
        report = runner.run("do", [TASK_NAME])
        outcome = next(o for o in report.outcomes if o.name == TASK_NAME)
        self.expect(outcome.status == "success", f"{TASK_NAME} as of {day} failed: {outcome.error or outcome.counters}")
        with self.host.sessions() as s:
            run = s.scalars(select(CronRun).where(CronRun.task_name == TASK_NAME).order_by(CronRun.id.desc())).first()
            assert run is not None
            run_id, counters = run.id, json.loads(run.counters or "{}")
        amounts = ", ".join(format_money(Decimal(v), k) for k, v in counters.get("amounts", {}).items()) or "nothing"
        self.say(f"cron: {TASK_NAME} as of {day} ran (CronRun #{run_id}): invoiced {counters.get('invoiced', 0)} "
                 f"for {amounts}, invoice emails {counters.get('emailed', 0)}, locked {counters.get('locked', 0)}, "
                 f"suspended {counters.get('suspended', 0)}, reactivated {counters.get('reactivated', 0)}, "
                 f"failures {counters.get('failed', 0)}")
        return counters

    def invoice_july(self) -> None:
        from hostsim.db.models import Invoice

        self.section(f"SolusioAutomation runs on {INVOICE_DAY}: July's usage is invoiced")
        counters = self.run_automation(INVOICE_DAY)
        self.expect(counters.get("invoiced") == len(self.clients),
                    f"expected {len(self.clients)} invoices, SolusioAutomation made {counters.get('invoiced')}")
        by_client = {c.client_id: c for c in self.clients}
        with self.host.sessions() as s:
            invoices = list(s.scalars(select(Invoice).where(Invoice.client_id.in_(list(by_client)))
                                      .order_by(Invoice.id)))
            shown = [(i.id, i.client_id, i.currency.code, i.date, i.due_date, i.status.value, i.total,
                      [(item.description, item.amount) for item in i.items]) for i in invoices]
        for invoice_id, client_id, code, dated, due, status, total, items in shown:
            client = by_client[client_id]
            client.invoice_id, client.total = invoice_id, total
            self.echo("")
            self.say(f"Invoice #{invoice_id}  {client.persona.first_name} {client.persona.last_name} "
                     f"<{client.persona.email}>  {code}  dated {dated}, due {due}  {status}")
            for description, amount in items:
                self.say(f"  {format_money(amount, code):>10}  {description}")
            self.say(f"  {format_money(total, code):>10}  Total")

    def pay_on_time(self) -> None:
        self.section(f"{PAYMENT_DAY}: two clients pay by bank transfer")
        self.move_clocks(PAYMENT_DAY)
        for client in self.clients:
            if client.persona.pays_on_time:
                self.pay(client)

    def pay(self, client: DemoClient) -> None:
        invoice = self.host.invoices.get(client.invoice_id)
        assert invoice is not None
        balance = round_money(self.host.invoices.balance(invoice), client.currency)
        paid = self.host.invoices.add_payment(client.invoice_id, balance, gateway="banktransfer",
                                              transaction_id=f"DEMO-{client.invoice_id}", actor=ADMIN_USERNAME)
        self.expect(paid, f"invoice #{client.invoice_id} is not Paid after its payment")
        self.say(f"Payment of {format_money(balance, client.currency)} recorded on invoice #{client.invoice_id} "
                 f"({client.persona.first_name}): Paid")

    def solusio_status(self, client: DemoClient) -> str:
        assert self.sim is not None
        user = self.sim.state.get_user(client.solusio_user_id)
        servers = ", ".join(f"{s.name} {s.status}{' (suspended)' if s.is_suspended else ''}"
                            for s in self.sim.state.user_servers(client.solusio_user_id))
        return f"SolusIO user #{user.id} <{user.email}> is {user.status}; servers: {servers or 'none'}"

    def overdue_story(self) -> DemoClient:
        from hostsim.db.models import Invoice

        unpaid = next(c for c in self.clients if not c.persona.pays_on_time)
        with self.host.sessions() as s:
            invoice = s.get(Invoice, unpaid.invoice_id)
            assert invoice is not None
            due: date = invoice.due_date
        for days, expected in ((LOCK_DAYS, "locked"), (SUSPEND_DAYS, "suspended")):
            day = due + timedelta(days=days)
            self.section(f"{day}: invoice #{unpaid.invoice_id} of {unpaid.persona.first_name} is {days} days "
                         f"overdue -> SolusioAutomation {'locks' if expected == 'locked' else 'suspends'}")
            counters = self.run_automation(day)
            self.expect(counters.get(expected) == 1, f"SolusioAutomation as of {day} did not make the user {expected}")
            assert self.sim is not None
            status = self.sim.state.get_user(unpaid.solusio_user_id).status
            self.expect(status == expected, f"the SolusIO user is {status}, expected {expected}")
            self.say(self.solusio_status(unpaid))
        return unpaid

    def final_payment(self, unpaid: DemoClient) -> None:
        from solusio_addon.db.models import Enrolment

        assert self.sim is not None
        when = self.host.clock.today() + timedelta(days=1)
        self.section(f"{when}: {unpaid.persona.first_name} pays; the InvoicePaid hook reactivates SolusIO at once")
        self.move_clocks(when)
        self.pay(unpaid)
        status = self.sim.state.get_user(unpaid.solusio_user_id).status
        self.expect(status == "active", f"after the payment the SolusIO user is {status}, expected active")
        with self.host.sessions() as s:
            enrolment = s.scalars(select(Enrolment).where(Enrolment.client_id == unpaid.client_id)).one()
            self.expect(enrolment.status.value == "active", "the enrolment was not reactivated")
        self.say(self.solusio_status(unpaid))
        self.say("(servers stopped by the suspension stay stopped; the client starts them again in SolusIO)")

    # --- the end -----------------------------------------------------------------------------

    def summary(self, seconds: float) -> None:
        from hostsim.db.models import CronRun, EmailLog, Invoice
        from solusio_addon.billing.automation import TASK_NAME

        assert self.sim is not None
        with self.host.sessions() as s:
            invoices = [(i.currency.code, i.total, i.status.value) for i in s.scalars(select(Invoice))]
            runs = list(s.scalars(select(CronRun.as_of).where(CronRun.task_name == TASK_NAME).order_by(CronRun.id)))
            subjects = Counter(re.sub(r"#\d+", "#N", subject) for subject in s.scalars(select(EmailLog.subject)))
        totals: dict[str, list[Decimal]] = {}
        for code, total, _status in invoices:
            totals.setdefault(code, []).append(total)
        statuses = Counter(status for _c, _t, status in invoices)
        self.section("Summary")
        self.say(f"Clients:        {len(self.clients)}, all signed up through the landing page and the emailed link")
        per_currency = "; ".join(f"{code}: {len(v)} for {format_money(sum(v, Decimal('0')), code)}"
                                 for code, v in sorted(totals.items()))
        self.say(f"Invoices:       {len(invoices)} ({', '.join(f'{n} {st}' for st, n in sorted(statuses.items()))}) "
                 f"- {per_currency}")
        users = ", ".join(f"{c.persona.first_name} {self.sim.state.get_user(c.solusio_user_id).status}"
                          for c in self.clients)
        self.say(f"SolusIO users:  {users}")
        self.say(f"Cron runs:      {len(runs)} x {TASK_NAME} (as of {', '.join(d.isoformat() for d in runs)})")
        self.say(f"Emails:         {sum(subjects.values())}, kept in the email log (no SMTP configured):")
        for subject, count in sorted(subjects.items(), key=lambda kv: (-kv[1], kv[0])):
            self.say(f"                {count} x {subject}")
        self.say(f"Instance:       {self.host.config.home}")
        self.say(f"Time taken:     {seconds:.1f} s")


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise DemoError("no CSRF token on the page")
    return match.group(1)
