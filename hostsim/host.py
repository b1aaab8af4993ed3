"""The Host: one object that gives the web app, the CLI, cron and addons the host's services."""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Iterator

import pluggy
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from hostsim import clock as clock_module
from hostsim.clock import Clock
from hostsim.clock import clock as process_clock
from hostsim.config import HostConfig
from hostsim.crypto import SecretBox
from hostsim.db import read_cache
from hostsim.db.engine import make_engine, make_session_factory
from hostsim.db.models import AddonAccess, AddonModule
from hostsim.plugins.gateway_registry import GatewayRegistry
from hostsim.plugins.manager import AddonRegistry, get_plugin_manager


class Host:
    """Services of one host instance. Cheap to build; open one per process."""

    def __init__(self, config: HostConfig, *, pm: pluggy.PluginManager | None = None,
                 engine: Engine | None = None, clock: Clock | None = None) -> None:
        if clock is None and clock_module.env_problem:  # never run on the real date instead of the one asked for
            raise ValueError(clock_module.env_problem)
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        read_cache.install(self.engine)  # an engine made elsewhere counts its writes too
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.clock = clock or process_clock
        self.secrets = SecretBox(config.secret_key())
        self.addons = AddonRegistry(pm or get_plugin_manager(), self._active_modules, lambda: self.addon_api)
        self.gateways = GatewayRegistry(self.addons.pm, lambda: self.addon_api)

    def __repr__(self) -> str:
        return f"Host({self.engine.url.render_as_string(hide_password=True)})"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    def _active_modules(self) -> set[str]:
        return set(self.addon_versions())

    def addon_versions(self) -> dict[str, str]:
        """Each active addon's stored version (its ``addon_modules`` row); kept between web
        requests until an addon is activated, deactivated or upgraded in any process."""
        return read_cache.cached(self.engine, ("addon_versions", id(self)), self._read_addon_versions)

    def _read_addon_versions(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {module: version for module, version in conn.execute(
                select(AddonModule.module, AddonModule.version))}

    def addon_access(self) -> dict[str, frozenset[int]]:
        """Each active addon's role groups with access to its admin page (kept like
        ``addon_versions``)."""
        return read_cache.cached(self.engine, ("addon_access", id(self)), self._read_addon_access)

    def _read_addon_access(self) -> dict[str, frozenset[int]]:
        access: dict[str, set[int]] = {}
        with self.engine.connect() as conn:
            for module, role_id in conn.execute(select(AddonAccess.module, AddonAccess.role_id)):
                access.setdefault(module, set()).add(role_id)
        return {module: frozenset(roles) for module, roles in access.items()}

    # Services are built on first use so that a CLI command pays only for what it touches.
    @cached_property
    def worker_processes(self) -> "WorkerProcesses":
        from hostsim.services.worker_processes import WorkerProcesses
        return WorkerProcesses(self)

    @cached_property
    def addon_api(self) -> "AddonHost":
        """The facade addons receive in every hook (``hostsim.addon_api.Host``)."""
        from hostsim.addon_api.host import Host as AddonHost
        return AddonHost(self)

    @cached_property
    def settings(self) -> "HostSettings":
        from hostsim.services.host_settings import HostSettings
        return HostSettings(self)

    @cached_property
    def activity(self) -> "ActivityLogger":
        from hostsim.services.activity import ActivityLogger
        return ActivityLogger(self)

    @cached_property
    def addon_settings(self) -> "AddonSettingsStore":
        from hostsim.services.addon_settings import AddonSettingsStore
        return AddonSettingsStore(self)

    @cached_property
    def lifecycle(self) -> "AddonLifecycle":
        from hostsim.services.addon_lifecycle import AddonLifecycle
        return AddonLifecycle(self)

    @cached_property
    def mail(self) -> "Mailer":
        from hostsim.services.mail import Mailer
        return Mailer(self)

    @cached_property
    def invoices(self) -> "InvoiceService":
        from hostsim.services.invoices import InvoiceService
        return InvoiceService(self)

    @cached_property
    def payments(self) -> "PaymentService":
        from hostsim.services.payments import PaymentService
        return PaymentService(self)

    @cached_property
    def refunds(self) -> "RefundService":
        from hostsim.services.refunds import RefundService
        return RefundService(self)

    @cached_property
    def credit(self) -> "CreditService":
        from hostsim.services.credit import CreditService
        return CreditService(self)

    @cached_property
    def payment_gateways(self) -> "GatewayService":
        from hostsim.services.gateways import GatewayService
        return GatewayService(self)

    @cached_property
    def gateway_callbacks(self) -> "GatewayCallbacks":
        from hostsim.services.gateway_callbacks import GatewayCallbacks
        return GatewayCallbacks(self)

    @cached_property
    def templates(self) -> "TemplateService":
        from hostsim.services.templates import TemplateService
        return TemplateService(self)


if TYPE_CHECKING:
    from hostsim.addon_api.host import Host as AddonHost
    from hostsim.services.activity import ActivityLogger
    from hostsim.services.addon_lifecycle import AddonLifecycle
    from hostsim.services.addon_settings import AddonSettingsStore
    from hostsim.services.credit import CreditService
    from hostsim.services.gateway_callbacks import GatewayCallbacks
    from hostsim.services.gateways import GatewayService
    from hostsim.services.host_settings import HostSettings
    from hostsim.services.invoices import InvoiceService
    from hostsim.services.mail import Mailer
    from hostsim.services.payments import PaymentService
    from hostsim.services.refunds import RefundService
    from hostsim.services.templates import TemplateService
    from hostsim.services.worker_processes import WorkerProcesses
