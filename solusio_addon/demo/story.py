"""The story ``hostsim demo`` tells, on a fresh SQLite instance, through the real code paths.

The SolusIO simulator runs in this process on a loopback port, and the host's web application is
served for real (waitress, loopback, in a thread), so every HTTP path of the addon runs: Test
Connection configures SolusIO's billing integration with the served URL, SolusIO asks the host
for token prices, three visitors sign up on the landing page and follow the link the host emailed
them (read from the email log: no SMTP is configured), the cron runner runs SolusioAutomation,
the clients pay (bank transfer, account credit applied on the invoice page, a card on the sandbox
gateway's hosted page: :mod:`solusio_addon.demo.payers`), and the card payment's signed callback
reactivates a suspended SolusIO user through the InvoicePaid hook.

The host is created and driven through :mod:`hostsim.addon_api.instance`; the addon's own
functions receive its facade, as its hooks do. The host's clock (the instance's own) and the
simulator's clock are moved to the story's days; the process clock and the system clock are not.

Secrets: the simulator's API key, the billing-integration secret and the sandbox gateway's
signing secret are never printed. The admin
password is generated and shown once; the demo clients' passwords are demo data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import select

from hostsim.addon_api import Clock, Currency, Invoice, format_money
from hostsim.addon_api.instance import Instance, InstanceError, WebServer
from solusio_addon.billing.automation import TASK_NAME
from solusio_addon.demo import payers, servers, visitors
from solusio_addon.demo.scenario import (
    ADMIN_EMAIL,
    ADMIN_USERNAME,
    COMPANY,
    CREDIT_AMOUNT,
    CREDIT_REASON,
    GRACE_DAYS,
    HOUR_OF_DAY,
    INVOICE_DAY,
    LOCK_DAYS,
    PAYMENT_DAY,
    PAYS_BY,
    PERSONAS,
    POSTPAY_TERMS_URL,
    STORY_START,
    SUSPEND_DAYS,
    TOKEN_PRICES,
    TOS_URL,
    UTC,
    DemoClient,
    DemoError,
    at,
)
from solusio_addon.demo.summary import summarise

if TYPE_CHECKING:
    from hostsim.addon_api import Host
    from solusio_sim import SimServer


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
    ``--serve``); ``close()`` stops them. Use as a context manager.

    ``web``: the host's web server, bound already (``servers.bind_web``); by default one on a
    free port is bound when the story starts."""

    def __init__(self, home: Path, *, web: WebServer | None = None, verbosity: int = 0,
                 echo: Callable[..., None] | None = None) -> None:
        import click

        self.home = home
        self.verbosity = verbosity
        self.echo = echo or click.echo
        self.clients: list[DemoClient] = []
        self._sim: SimServer | None = None
        self._web = web
        self._instance: Instance | None = None
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

    # --- what the story runs on (each there once start() made it) ----------------------------

    @property
    def instance(self) -> Instance:
        assert self._instance is not None, "start() first"
        return self._instance

    @property
    def host(self) -> "Host":
        """The addon facade of the demo's host: what the addon's functions receive."""
        return self.instance.host

    @property
    def sim(self) -> "SimServer":
        assert self._sim is not None, "start() first"
        return self._sim

    @property
    def web(self) -> WebServer:
        assert self._web is not None, "start() first"
        return self._web

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "Demo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._web is not None:
            self._web.stop()
        if self._sim is not None:
            self._sim.stop()
        if self._instance is not None:
            self._instance.close()

    # --- the story ---------------------------------------------------------------------------

    def run(self) -> DemoResult:
        self._started = time.monotonic()
        try:
            admin_password = self.start()
            self.connect_addon()
            self.sign_up_clients()
            self.run_servers_in_july()
            self.invoice_july()
            self.pay_on_time()
            unpaid = self.overdue_story()
            self.final_payment(unpaid)
        except InstanceError as exc:
            raise DemoError(str(exc)) from exc
        seconds = time.monotonic() - self._started
        summarise(self, seconds)
        return DemoResult(self.home, self.web.url, self.sim.url, ADMIN_USERNAME, admin_password, self.clients,
                          seconds)

    def start(self) -> str:
        """Simulator, web server and instance; returns the new admin's password."""
        import solusio_addon.plugin

        self.section("A SolusIO simulator and a fresh host instance")
        self.say("The story is set in July and August 2026: the host's and the simulator's clocks are moved, "
                 "your system clock is not.")
        self.note("starting the SolusIO simulator on 127.0.0.1")
        self._sim = servers.start_simulator(STORY_START)
        self.say(f"SolusIO simulator at {self.sim.url}")
        self.say(f"  {servers.catalogue(self.sim)}")

        if self._web is None:
            self.note("binding the host's web server on 127.0.0.1")
            self._web = servers.bind_web(0)
        clock = Clock("UTC")
        clock.set_now(STORY_START)
        self.note("creating the SQLite database and seeding roles and currencies")
        self._instance = Instance.create(self.home, base_url=self.web.url, clock=clock,
                                         addons={solusio_addon.plugin.MODULE: solusio_addon.plugin},
                                         admin_username=ADMIN_USERNAME, admin_email=ADMIN_EMAIL)
        self.instance.set_settings({"company_name": COMPANY, "tos_url": TOS_URL}, actor=ADMIN_USERNAME)
        self.instance.serve(self.web)
        self.say(f"Host instance in {self.instance.home} (SQLite), company {COMPANY!r}, currencies USD (default) "
                 "and EUR")
        self.say(f"Host web server at {self.web.url} (the addon tells SolusIO this URL)")
        self.say(f"Admin {ADMIN_USERNAME!r} created (its password is shown at the end)")
        payers.activate_gateways(self)
        return self.instance.admin.password

    def connect_addon(self) -> None:
        import solusio_addon.plugin
        from solusio_addon.admin import settings as addon_settings
        from solusio_addon.admin.connection import connect
        from solusio_addon.admin.pricing import active_prices, save_prices, validate_prices

        host, sim = self.host, self.sim
        self.section("Activate the SolusIO addon, connect it, set post-pay and prices")
        self.instance.activate_addon(solusio_addon.plugin.MODULE, access_roles=["Full Administrator"],
                                     actor=ADMIN_USERNAME)
        self.say("Activated; access granted to the Full Administrator role group")

        self.note("Test Connection: checking the API key, then configuring SolusIO's billing integration")
        outcome = connect(host, sim.url, sim.admin_token, actor=ADMIN_USERNAME)
        self.expect(outcome.ok, f"Test Connection failed: {outcome.message}")
        self.say(f"Test Connection: {outcome.message}")
        driver = sim.state.billing_driver()
        self.expect(driver is not None and driver[0].startswith(self.web.url),
                    "SolusIO's billing integration was not configured with the host's URL")
        assert driver is not None
        self.say(f"SolusIO's billing integration now calls the host at {driver[0]}")

        group = next(iter(sim.state.limit_groups.values()))
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
        self.section("Three visitors sign up on the landing page (2026-07-01)")
        for persona in PERSONAS:
            client = DemoClient(persona)
            client.client_id = visitors.sign_up(self, persona)
            user = self.sim.state.find_user_by_email(persona.email)
            self.expect(user is not None and user.billing_user_id == client.client_id,
                        f"SolusIO has no user for {persona.email} linked to client #{client.client_id}")
            assert user is not None
            client.solusio_user_id = user.id
            if persona.currency != "USD":
                with self.host.sessions() as s:
                    currency_id = s.scalars(select(Currency.id).where(Currency.code == persona.currency)).one()
                self.host.clients.update(client.client_id, currency_id=currency_id, actor=ADMIN_USERNAME)
                self.say(f"  the admin sets the account's currency to {persona.currency} (client profile)")
            client.currency = persona.currency
            self.clients.append(client)
        visitors.quote_prices(self)

    # --- July --------------------------------------------------------------------------------

    def run_servers_in_july(self) -> None:
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
        self.instance.clock.set_now(moment)
        self.sim.state.clock.set(moment)
        self.note(f"host and simulator clocks moved to {moment:%Y-%m-%d %H:%M} UTC")

    def run_automation(self, day: date) -> dict[str, Any]:
        """SolusioAutomation through the cron runner, as ``hostsim cron do --SolusioAutomation
        --today DAY`` runs it (so it is recorded as a CronRun); returns its counters."""
        self.move_clocks(day)
        [run] = self.instance.run_cron(TASK_NAME, verbosity=self.verbosity, echo=lambda m: self.echo(f"    {m}"),
                                       echo_err=lambda m: self.echo(m, err=True))
        self.expect(run.ok, f"{TASK_NAME} as of {day} failed: {run.error or run.counters}")
        counters = run.counters
        self.say(f"cron: {TASK_NAME} as of {day} ran (CronRun #{run.run_id}): {run_in_words(counters)}")
        return counters

    def invoice_july(self) -> None:
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
        on_time = [c for c in self.clients if c.persona.pays_on_time]
        self.section(f"{PAYMENT_DAY}: two clients pay: "
                     + ", ".join(f"{c.persona.first_name} {PAYS_BY[c.persona.pays_by]}" for c in on_time))
        self.move_clocks(PAYMENT_DAY)
        for client in on_time:
            self.pay(client)

    def pay(self, client: DemoClient) -> None:
        """The client's invoice paid the persona's way, each through the host's real paths."""
        how = client.persona.pays_by
        if how != "banktransfer":  # the steps the client takes follow, indented
            self.say(f"{client.persona.first_name} pays invoice #{client.invoice_id} "
                     f"({format_money(client.total, client.currency)}) {PAYS_BY[how]}:")
        if how == "card":
            payers.pay_by_card(self, client)
        elif how == "credit":
            payers.pay_with_credit(self, client, CREDIT_AMOUNT, CREDIT_REASON)
        else:
            payment = self.instance.record_payment(client.invoice_id, gateway=how,
                                                   transaction_id=f"DEMO-{client.invoice_id}", actor=ADMIN_USERNAME)
            self.expect(payment.paid, f"invoice #{client.invoice_id} is not Paid after its payment")
            self.say(f"Bank transfer of {format_money(payment.amount, client.currency)} received; the admin records "
                     f"it on invoice #{client.invoice_id} ({client.persona.first_name}): Paid")
        with self.host.sessions() as s:
            invoice = s.get(Invoice, client.invoice_id)
            self.expect(invoice is not None and invoice.status.value == "Paid",
                        f"invoice #{client.invoice_id} is not Paid after {client.persona.first_name}'s payment")

    def overdue_story(self) -> DemoClient:
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
            status = self.sim.state.get_user(unpaid.solusio_user_id).status
            self.expect(status == expected, f"the SolusIO user is {status}, expected {expected}")
            self.say(servers.solusio_status(self.sim, unpaid.solusio_user_id))
        return unpaid

    def final_payment(self, unpaid: DemoClient) -> None:
        from solusio_addon.db.models import Enrolment

        when = self.host.clock.today() + timedelta(days=1)
        self.section(f"{when}: {unpaid.persona.first_name} pays {PAYS_BY[unpaid.persona.pays_by]}; the InvoicePaid "
                     "hook reactivates SolusIO at once")
        self.move_clocks(when)
        self.pay(unpaid)
        status = self.sim.state.get_user(unpaid.solusio_user_id).status
        self.expect(status == "active", f"after the payment the SolusIO user is {status}, expected active")
        with self.host.sessions() as s:
            enrolment = s.scalars(select(Enrolment).where(Enrolment.client_id == unpaid.client_id)).one()
            self.expect(enrolment.status.value == "active", "the enrolment was not reactivated")
        self.say(servers.solusio_status(self.sim, unpaid.solusio_user_id))
        self.say("(servers stopped by the suspension stay stopped; the client starts them again in SolusIO)")


def run_in_words(counters: dict[str, Any]) -> str:
    """A SolusioAutomation run's counters as a sentence; what did not happen is not listed, and a
    run that did nothing says so."""
    amounts = ", ".join(format_money(Decimal(v), k) for k, v in counters.get("amounts", {}).items())
    done = []
    if counters.get("invoiced"):
        done.append(f"invoiced {counters['invoiced']} client(s) for {amounts}, "
                    f"{counters.get('emailed', 0)} invoice email(s)")
    done += [f"{label} {counters[key]}" for key, label in (("locked", "locked"), ("suspended", "suspended"),
             ("reactivated", "reactivated"), ("failed", "failures")) if counters.get(key)]
    return ", ".join(done) if done else "nothing to invoice, lock, suspend or reactivate"
