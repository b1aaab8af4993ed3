"""Create and drive a whole host instance from a tool: a demo, an integration test.

An addon's hooks never need this module: it builds an instance from nothing (migrations, seeded
roles and currencies, the first admin), serves the web application, runs cron tasks and records
payments as an admin would. It loads the web application, the cron runner and the bootstrap
code, so :mod:`hostsim.addon_api` does not import it; import it yourself::

    from hostsim.addon_api import Clock
    from hostsim.addon_api.instance import Instance, WebServer

    web = WebServer.bind()                # the port first: its URL is the instance's base URL
    with Instance.create(home, base_url=web.url, clock=Clock("UTC"), addons={"example": plugin}) as instance:
        show_once(instance.admin.password)  # generated; it exists nowhere else
        instance.activate_addon("example")
        instance.serve(web)
        [run] = instance.run_cron("ExampleTask")

Everything here acts through the host's own services, with the host's guarantees: settings are
validated, activation runs the addon's hook, a payment fires ``invoice_paid``, a cron run is
recorded as a ``CronRun``. Nothing here reads ``HOSTSIM_HOME``, ``HOSTSIM_DATABASE_URL`` or
``HOSTSIM_BASE_URL``: a tool never touches the user's own instance by accident. (As for every
instance, ``HOSTSIM_SECRET_KEY``, when set, is the master key instead of ``home/secret.key``.)
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from sqlalchemy import select

from hostsim.addon_api.host import Host
from hostsim.addon_api.instance_records import (
    AdminLogin,
    CronTaskRun,
    InvoicePayment,
    RecordedPayment,
    SentEmail,
)
from hostsim.clock import Clock
from hostsim.plugins.types import ActivationResult

if TYPE_CHECKING:
    from hostsim.host import Host as CoreHost

log = logging.getLogger(__name__)

#: The base URL of an instance created without one (``hostsim serve``'s default address).
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
#: The role group a new admin joins and an activated addon is opened to, unless told otherwise.
FULL_ADMIN_ROLE = "Full Administrator"


class InstanceError(Exception):
    """What a tool asked of the instance could not be done; the message says why in one sentence."""


class PortUnavailable(InstanceError):
    """The web server cannot listen on the port asked for (taken, or not allowed)."""

    def __init__(self, port: int, reason: str) -> None:
        self.port = port
        super().__init__(f"cannot listen on 127.0.0.1:{port}: {reason}")


class WebServer:
    """The host's web application under waitress on 127.0.0.1, served from a background thread.

    :meth:`bind` takes the port at once, before any instance exists, so a busy port is found
    before anything is created or deleted, and the server's URL can be the instance's base URL.
    :meth:`Instance.serve` plugs the application in and starts the thread.
    """

    def __init__(self) -> None:
        """Use :meth:`bind`."""
        self._server: Any = None
        self._app: Callable[..., Any] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    @classmethod
    def bind(cls, port: int = 0, *, threads: int = 8) -> "WebServer":
        """Listen on 127.0.0.1:``port`` (0: a free port) now; requests wait until it is served.
        ``PortUnavailable`` when the port cannot be had; then nothing is listening."""
        import waitress  # type: ignore[import-untyped]

        web = cls()
        try:
            # waitress's default loop timeout (1 s) is kept: it parses the value as an int, so a
            # fraction becomes 0 and its idle loop then spins a whole core.
            web._server = waitress.create_server(web._dispatch, host="127.0.0.1", port=port, threads=threads,
                                                 ident="hostsim")
        except OSError as exc:
            raise PortUnavailable(port, exc.strerror or str(exc)) from exc
        return web

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when bound with 0)."""
        return int(self._server.effective_port)

    @property
    def loop_timeout(self) -> float:
        """Seconds the server's idle loop waits for a socket event (always > 0: it sleeps while idle)."""
        return float(self._server.adj.asyncore_loop_timeout)

    @property
    def running(self) -> bool:
        """True while the serving thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        app = self._app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return app(environ, start_response)

    def _start(self, app: Callable[..., Any]) -> None:
        if self._thread is not None or self._stopping:
            raise InstanceError("this web server was already started or stopped; bind another")
        self._app = app
        self._thread = threading.Thread(target=self._run, name="hostsim-web", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):  # stop() closed the sockets under the loop
            if not self._stopping:
                raise

    def stop(self) -> None:
        """Close the port and end the serving thread (within the loop timeout). Idempotent."""
        if self._stopping:
            return
        self._stopping = True
        self._server.close()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=5)


class Instance:
    """One host instance a tool created, and what the tool may do with it. Use as a context
    manager, or call :meth:`close`."""

    def __init__(self, core: "CoreHost", admin: AdminLogin) -> None:
        """Use :meth:`create`."""
        self._core = core
        self._servers: list[WebServer] = []
        #: The first admin; its password is shown nowhere else.
        self.admin = admin

    @classmethod
    def create(cls, home: Path, *, base_url: str | None = None, clock: Clock | None = None,
               addons: Mapping[str, object] | None = None, database_url: str | None = None,
               admin_username: str = "admin", admin_email: str = "admin@example.com") -> "Instance":
        """Create a new instance in ``home`` (made if missing), as ``hostsim init`` does: the
        database migrated, role groups and currencies (USD default, EUR) seeded, and a first admin
        in the Full Administrator group with a generated password (:attr:`admin`).

        :param base_url: the host's public URL, in emails and wherever an addon tells another
            system where the host is. Default ``http://127.0.0.1:8080``.
        :param clock: the host's clock (a tool may move it to tell a story on fixed dates).
            Default: a clock of this instance's own, on UTC and the real time.
        :param addons: exactly the addons to install, name -> addon object (its plugin module).
            Default: the addons installed in this Python environment (entry points).
        :param database_url: default: SQLite in ``home/hostsim.sqlite3``.

        ``InstanceError`` when ``home`` holds an instance with that admin already.
        """
        from hostsim.config import HostConfig
        from hostsim.host import Host as CoreHost
        from hostsim.plugins.manager import get_plugin_manager
        from hostsim.services.bootstrap import BootstrapError, create_admin, init_instance

        home = Path(home).expanduser().resolve()
        config = HostConfig(home=home, database_url=database_url or f"sqlite:///{home / 'hostsim.sqlite3'}",
                            base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"))
        pm = get_plugin_manager() if addons is None else get_plugin_manager(autoload=False, addons=addons.items())
        core = CoreHost(config, pm=pm, clock=clock or Clock("UTC"))
        try:
            init_instance(core)
            password = create_admin(core, admin_username, admin_email, role=FULL_ADMIN_ROLE)
        except BootstrapError as exc:
            core.engine.dispose()
            raise InstanceError(f"the first admin could not be created: {exc}") from exc
        except BaseException:
            core.engine.dispose()
            raise
        log.info("instance created in %s", home)
        return cls(core, AdminLogin(admin_username, admin_email.strip(), password))

    # --- what it is -----------------------------------------------------------------------

    @property
    def host(self) -> Host:
        """The facade the addons receive in their hooks: give it to an addon's functions."""
        return self._core.addon_api

    @property
    def home(self) -> Path:
        """The instance folder (its secret key; its SQLite database unless told otherwise)."""
        return self._core.config.home

    @property
    def base_url(self) -> str:
        """The host's public URL, without a trailing slash."""
        return self._core.config.base_url.rstrip("/")

    @property
    def clock(self) -> Clock:
        """The host's clock (``set_now``/``set_today`` move it, for this instance only when it is
        the instance's own)."""
        return self._core.clock

    def __repr__(self) -> str:
        return f"Instance({self.home})"

    # --- as an admin ----------------------------------------------------------------------

    def set_settings(self, values: Mapping[str, str], *, actor: str = "System") -> list[str]:
        """Change General Settings (``company_name``, ``tos_url``, ``mail_from``, ``smtp_*``...),
        validated as the settings page does: all or nothing, ``InstanceError`` naming the bad
        key. Secrets are stored encrypted. Returns the keys that changed."""
        try:
            return self._core.settings.set_many(dict(values), actor=actor)
        except ValueError as exc:
            raise InstanceError(f"settings refused: {exc}") from exc

    def activate_addon(self, module: str, *, access_roles: Iterable[str] = (FULL_ADMIN_ROLE,),
                       actor: str = "System") -> ActivationResult:
        """Activate an installed addon (its ``addon_activate`` hook runs) and open its admin page
        to the role groups named, as the Addon Modules page does. An addon already active stays
        so (status ``info``). ``InstanceError`` when the addon is unknown, refuses to activate,
        or a role group does not exist; the access list is then unchanged."""
        from hostsim.db.models import AdminRole
        from hostsim.plugins.manager import UnknownAddon

        names = list(access_roles)
        with self._core.sessions() as s:
            rows = s.execute(select(AdminRole.name, AdminRole.id).where(AdminRole.name.in_(names)))
            roles: dict[str, int] = {name: role_id for name, role_id in rows}
        missing = [n for n in names if n not in roles]
        if missing:
            raise InstanceError(f"no role group named {', '.join(map(repr, missing))}")
        try:
            result = self._core.lifecycle.activate(module, actor=actor)
        except UnknownAddon as exc:
            raise InstanceError(str(exc)) from exc
        if result.status == "error":
            raise InstanceError(f"activating {module} failed: {result.description}")
        self._core.lifecycle.set_access(module, [roles[n] for n in names], actor=actor)
        return result

    def record_payment(self, invoice_id: int, amount: Decimal | None = None, *, gateway: str = "manual",
                       transaction_id: str = "", actor: str = "System") -> RecordedPayment:
        """Record a payment as an admin does (Add Payment); ``amount`` defaults to the balance
        due. When it makes the invoice Paid, the receipt is mailed and ``invoice_paid`` fires
        before this returns. ``InstanceError`` for an unknown invoice."""
        from hostsim.money import round_money

        invoice = self._core.invoices.get(invoice_id)
        if invoice is None:
            raise InstanceError(f"no invoice #{invoice_id}")
        if amount is None:
            amount = round_money(self._core.invoices.balance(invoice), invoice.currency.code)
        paid = self._core.invoices.add_payment(invoice_id, amount, gateway=gateway, transaction_id=transaction_id,
                                               actor=actor)
        return RecordedPayment(invoice_id, amount, paid)

    def activate_gateway(self, name: str, *, settings: Mapping[str, str] | None = None,
                         actor: str = "System") -> str:
        """Activate an installed payment gateway module and store its settings, as Setup >
        Payment Gateways does; returns its display name. A ``password`` setting (a signing
        secret) is stored encrypted and never shown. ``InstanceError`` when the module is
        unknown or already active, or a setting is refused; then it is left inactive."""
        from hostsim.services.gateways import GatewayError

        gateways = self._core.payment_gateways
        try:
            gateways.activate(name, actor=actor)
        except GatewayError as exc:
            raise InstanceError(f"payment gateway {name!r}: {exc.message}") from exc
        try:
            if settings:
                gateways.configure(name, settings=settings, actor=actor)
        except GatewayError as exc:
            gateways.deactivate(name, actor=actor)  # nothing half-configured stays active
            labels = {f.key: f.friendly_name for f in self._core.gateways.config(name).fields}
            raise InstanceError(f"payment gateway {name!r}: {labels.get(exc.field, exc.field)}: {exc.message}") \
                from exc
        return gateways.display_name(name)

    def payments(self) -> list[InvoicePayment]:
        """Everything put on invoices, oldest first: each payment, and each application of the
        client's credit (method ``credit``), with the method's human name."""
        from hostsim.db.models import CreditEntry, Invoice, Payment

        names = self._core.payment_gateways.display_names()
        with self._core.sessions() as s:
            paid = [InvoicePayment(p.invoice_id, client_id, p.gateway, names.get(p.gateway, p.gateway), p.amount,
                                   p.date, p.transaction_id)
                    for p, client_id in s.execute(select(Payment, Invoice.client_id)
                                                  .join(Invoice, Invoice.id == Payment.invoice_id).order_by(Payment.id))]
            # Credit spent on an invoice is a negative entry naming it (a positive one is an
            # overpayment kept as credit). Compared here: SQLite keeps exact decimals as text.
            spent = [InvoicePayment(e.invoice_id, e.client_id, "credit", names["credit"], -e.amount, e.created_at, "")
                     for e in s.scalars(select(CreditEntry).where(CreditEntry.invoice_id.is_not(None))
                                        .order_by(CreditEntry.id))
                     if e.invoice_id is not None and e.amount < 0]
        return sorted(paid + spent, key=lambda p: p.date)

    def emails(self, *, to: str | None = None) -> list[SentEmail]:
        """The email log, oldest first; only the messages to ``to`` when given. With no SMTP
        configured every message is kept here, links included: a tool follows them from here."""
        from hostsim.db.models import EmailLog

        query = select(EmailLog).order_by(EmailLog.id)
        if to is not None:
            query = query.where(EmailLog.to == to)
        with self._core.sessions() as s:
            return [SentEmail(e.id, e.created_at, e.to, e.subject, e.body_text, e.client_id) for e in s.scalars(query)]

    # --- running it -----------------------------------------------------------------------

    def serve(self, server: WebServer | None = None) -> WebServer:
        """Serve the admin and client areas (with every installed addon's pages) from a
        background thread on ``server``, bound earlier, or on a free loopback port. Returns the
        running server; :meth:`close` stops it."""
        from hostsim.web import create_app

        server = server or WebServer.bind()
        server._start(create_app(self._core))
        self._servers.append(server)
        log.info("instance %s served at %s", self.home, server.url)
        return server

    def run_cron(self, task: str | None = None, *, today: date | None = None, verbosity: int = 0,
                 echo: Callable[[str], None] | None = None,
                 echo_err: Callable[[str], None] | None = None) -> list[CronTaskRun]:
        """One cron invocation, as ``hostsim cron`` runs it: the cron hooks, then ``task`` now
        (as ``cron do --TASK``) or, without one, every enabled task that is due (``cron all``).
        Each task that ran is a ``CronRun`` with its counters.

        :param today: move the host's clock to that day first (keeping the time of day).
        :param echo: receives what the run and its tasks say (more with ``verbosity``);
            default: nothing is printed. ``echo_err`` receives failures; default ``echo``.
        Returns one entry per task considered; ``InstanceError`` for an unknown task name.
        """
        from hostsim.cron import CronRunner
        from hostsim.cron.registry import UnknownTask
        from hostsim.db.models import CronRun

        if today is not None and self.clock.today() != today:
            self.clock.set_today(today)
        say = echo or (lambda _message: None)
        runner = CronRunner(self._core, verbosity=verbosity, echo=say, echo_err=echo_err or say, is_tty=False)
        try:
            report = runner.run("do", [task]) if task else runner.run("all")
        except UnknownTask as exc:
            raise InstanceError(str(exc)) from exc
        runs = []
        with self._core.sessions() as s:
            for outcome in report.outcomes:
                ran = outcome.status.value in ("success", "failed")
                run_id = s.scalars(select(CronRun.id).where(CronRun.task_name == outcome.name)
                                   .order_by(CronRun.id.desc()).limit(1)).first() if ran else None
                runs.append(CronTaskRun(outcome.name, outcome.status.value, dict(outcome.counters), outcome.error,
                                        run_id))
        return runs

    # --- the end --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every server :meth:`serve` started and release the database. Idempotent; the
        instance's files stay."""
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self._core.engine.dispose()

    def __enter__(self) -> "Instance":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


__all__ = ["AdminLogin", "CronTaskRun", "Instance", "InstanceError", "InvoicePayment", "PortUnavailable",
           "RecordedPayment", "SentEmail", "WebServer"]
