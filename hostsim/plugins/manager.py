"""The one plugin-manager factory and the typed facade the host calls hooks through.

Host code never spells a hook name as a string outside this module: it calls
``host.addons.activate("solusio")`` or ``host.addons.primary_navbar(...)``. Hooks receive the addon
facade (:class:`hostsim.addon_api.Host`), never the host's internals.

An addon is the object its entry point names (a module, usually). Its hook implementations may
be spread over several modules, listed in its ``HOOK_MODULES`` attribute; the factory registers
each of them explicitly, as part of that addon (pytest's ``pytest_plugins`` idea).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pluggy

from hostsim.plugins import hookspecs
from hostsim.plugins.markers import PROJECT, priority_of
from hostsim.plugins.types import AddonConfig, AdminWidget

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from hostsim.addon_api.host import Host
    from hostsim.cron.context import CronContext, CronTaskSpec
    from hostsim.db.models import Client
    from hostsim.plugins.types import (
        ActivationResult,
        AdminPage,
        ClientAreaRequest,
    )
    from hostsim.services.menus import MenuItem

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hostsim.addons"
AUTOLOAD_ENV = "HOSTSIM_DISABLE_ADDON_AUTOLOAD"
#: Payment gateway modules, the host's built-in ones included, are found through this group.
GATEWAY_ENTRY_POINT_GROUP = "hostsim.gateways"
#: A gateway is registered as ``gateway:<name>``, so it never shares a name with an addon.
GATEWAY_PREFIX = "gateway:"
#: The attribute an addon object lists its further hook modules in (dotted import paths).
HOOK_MODULES_ATTR = "HOOK_MODULES"
#: Separates an addon's name from one of its hook modules in the plugin manager's names.
PART_SEPARATOR = "/"


class UnknownAddon(LookupError):
    pass


def get_plugin_manager(*, autoload: bool | None = None, addons: Iterable[tuple[str, object]] = (),
                       load_gateways: bool = True,
                       gateways: Iterable[tuple[str, object]] = ()) -> pluggy.PluginManager:
    """Build the plugin manager: specs, entry-point addons, explicit addons, gateways, then check.

    :param autoload: load addons from the ``hostsim.addons`` entry points; by default on unless
        ``HOSTSIM_DISABLE_ADDON_AUTOLOAD=1`` (tests register exactly the addons they want).
    :param addons: ``(name, plugin)`` pairs registered in addition (plugin: module or object).
    :param load_gateways: load the ``hostsim.gateways`` entry points (the built-in gateways are
        among them); a gateway is part of the host's install, not of a test's addon choice.
    :param gateways: ``(name, plugin)`` gateway modules registered in addition.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    if autoload is None:
        autoload = os.environ.get(AUTOLOAD_ENV) != "1"
    if autoload:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for name, plugin in addons:
        pm.register(plugin, name=name)
    if load_gateways:
        for ep in importlib.metadata.entry_points(group=GATEWAY_ENTRY_POINT_GROUP):
            if pm.get_plugin(GATEWAY_PREFIX + ep.name) is None:
                pm.register(ep.load(), name=GATEWAY_PREFIX + ep.name)
    for name, plugin in gateways:
        pm.register(plugin, name=GATEWAY_PREFIX + name)
    for name, plugin in list(pm.list_name_plugin()):
        if name is not None and PART_SEPARATOR not in name:
            _register_parts(pm, name, plugin)
    # A misspelled hook (say ``clientarea_primary_navbar``) fails here, not silently.
    pm.check_pending()
    return pm


def _register_parts(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    """Register the modules ``plugin`` lists in ``HOOK_MODULES`` as parts of addon ``name``."""
    for dotted in getattr(plugin, HOOK_MODULES_ATTR, ()):
        part_name = f"{name}{PART_SEPARATOR}{dotted}"
        if pm.get_plugin(part_name) is None:
            pm.register(importlib.import_module(dotted), name=part_name)


def owner_of(plugin_name: str | None) -> str:
    """The addon a registered plugin (the addon itself or one of its hook modules) belongs to."""
    return (plugin_name or "").split(PART_SEPARATOR, 1)[0]


#: The active-addon sets read in the current scope (a web request), by registry. A page fires
#: many events; each would otherwise read the active addons from the database again.
_SCOPE: ContextVar[dict[int, frozenset[str]] | None] = ContextVar("hostsim_active_addons", default=None)


class AddonRegistry:
    """The typed facade over the plugin manager: addon calls and events."""

    def __init__(self, pm: pluggy.PluginManager, active_modules: Callable[[], set[str]],
                 addon_host: Callable[[], "Host"]) -> None:
        self.pm = pm
        self._active_modules = active_modules
        self._host = addon_host
        # installed() depends only on what is registered: kept until a registration changes
        self._installed: tuple[tuple[tuple[str | None, int], ...], list[str]] | None = None

    # --- which addons ---------------------------------------------------------------------

    def installed(self) -> list[str]:
        """Names of the registered addons (those that declare a config), sorted."""
        registered = tuple((name, id(plugin)) for name, plugin in self.pm.list_name_plugin())
        if self._installed is not None and self._installed[0] == registered:
            return list(self._installed[1])
        names = []
        for name, plugin in self.pm.list_name_plugin():
            if name is not None and PART_SEPARATOR not in name and self._implements(plugin, "addon_config"):
                names.append(name)
        self._installed = (registered, sorted(names))
        return list(self._installed[1])

    def is_installed(self, module: str) -> bool:
        return module in self.installed()

    def active(self) -> set[str]:
        """Active addons: read from the database once per scope (``begin_scope``), else on every call.

        Inside a scope (each web request is one) the first call asks the host and the later ones
        reuse it; activating or deactivating through the lifecycle forgets it (``forget_active``).
        Another process's change is seen by the next scope: the host keeps the active addons
        between requests only until any process changes them (``hostsim.db.read_cache``).
        """
        scope = _SCOPE.get()
        if scope is None:
            return self._active_modules() & set(self.installed())
        cached = scope.get(id(self))
        if cached is None:
            cached = scope[id(self)] = frozenset(self._active_modules() & set(self.installed()))
        return set(cached)

    @staticmethod
    def begin_scope() -> Token[dict[int, frozenset[str]] | None]:
        """Start a scope (a web request) in which the active addons are read once; pass the token
        to ``end_scope``."""
        return _SCOPE.set({})

    @staticmethod
    def end_scope(token: Token[dict[int, frozenset[str]] | None]) -> None:
        _SCOPE.reset(token)

    def forget_active(self) -> None:
        """The active addons changed (this process activated or deactivated one): read them again."""
        scope = _SCOPE.get()
        if scope is not None:
            scope.pop(id(self), None)

    def _plugin(self, module: str) -> object:
        plugin = self.pm.get_plugin(module)
        if plugin is None or not self._implements(plugin, "addon_config"):
            raise UnknownAddon(f"no addon named {module!r} is installed")
        return plugin

    def _implements(self, plugin: object, hook: str) -> bool:
        return any(impl.plugin is plugin for impl in getattr(self.pm.hook, hook).get_hookimpls())

    def _one(self, module: str, hook: str) -> pluggy.HookCaller:
        """A caller of ``hook`` that reaches only ``module`` (and its hook modules): the pluggy
        way to target one plugin."""
        self._plugin(module)
        others = [p for name, p in self.pm.list_name_plugin() if owner_of(name) != module]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)

    # --- addon calls ----------------------------------------------------------------------

    def config(self, module: str) -> AddonConfig:
        result = self._one(module, "addon_config")()
        if not isinstance(result, AddonConfig):
            raise TypeError(f"addon {module!r}: addon_config must return an AddonConfig")
        return result

    def activate(self, module: str) -> "ActivationResult | None":
        return self._one(module, "addon_activate")(host=self._host())

    def deactivate(self, module: str) -> "ActivationResult | None":
        return self._one(module, "addon_deactivate")(host=self._host())

    def upgrade(self, module: str, previous_version: str) -> None:
        self._one(module, "addon_upgrade")(host=self._host(), previous_version=previous_version)

    def admin_output(self, module: str, page: "AdminPage") -> Any:
        return self._one(module, "addon_admin_output")(host=self._host(), page=page)

    def admin_sidebar(self, module: str, page: "AdminPage") -> str | None:
        return self._one(module, "addon_admin_sidebar")(host=self._host(), page=page)

    def client_area(self, module: str, page: "ClientAreaRequest") -> Any:
        return self._one(module, "addon_client_area")(host=self._host(), page=page)

    def blueprint(self, module: str) -> "Blueprint | None":
        return self._one(module, "addon_blueprint")(host=self._host())

    def cli(self, module: str) -> "click.Command | None":
        return self._one(module, "addon_cli")(host=self._host())

    # --- collectors -----------------------------------------------------------------------

    def commands(self) -> "list[click.Command]":
        """Every installed addon's top-level commands (active or not: they need no instance)."""
        commands: list[click.Command] = []
        for module in self.installed():
            try:
                for result in self._one(module, "register_commands")():
                    commands.extend(result)
            except Exception:
                log.exception("addon %s: register_commands failed", module)
        return commands

    def cron_tasks(self) -> "list[CronTaskSpec]":
        tasks: list[CronTaskSpec] = []
        for result in self._fire("register_cron_tasks", host=self._host()):
            tasks.extend(result if isinstance(result, (list, tuple)) else [result])
        return tasks

    def admin_widgets(self) -> "list[AdminWidget]":
        """Every active addon's admin dashboard widgets, by ``order`` (then title)."""
        widgets: list[AdminWidget] = []
        for result in self._fire("admin_home_widgets", host=self._host()):
            widgets.extend(w for w in (result if isinstance(result, (list, tuple)) else [result])
                           if isinstance(w, AdminWidget))
        return sorted(widgets, key=lambda w: (w.order, w.title))

    # --- events ---------------------------------------------------------------------------

    def _fire(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call ``hook`` on active addons and on the host's own plugins, lower priority first.

        Each implementation is reached through its own pluggy subset caller, so pluggy still
        validates arguments and traces calls; the loop supplies WHMCS's numeric priorities,
        which pluggy's tryfirst/trylast cannot express.
        """
        active = self.active()
        addon_names = set(self.installed())
        impls = []
        for order, impl in enumerate(reversed(getattr(self.pm.hook, hook).get_hookimpls())):
            owner = owner_of(self.pm.get_name(impl.plugin))
            if owner in addon_names and owner not in active:
                continue
            impls.append((priority_of(impl.function), order, impl.plugin))
        results = []
        everyone = self.pm.get_plugins()
        for _prio, _order, plugin in sorted(impls, key=lambda t: (t[0], t[1])):
            caller = self.pm.subset_hook_caller(hook, remove_plugins=[p for p in everyone if p is not plugin])
            try:
                result = caller(**kwargs)
            except Exception:
                # One addon's broken hook must not take the page, the cron run or the
                # payment down with it (WHMCS logs and carries on).
                log.exception("hook %s of %s failed", hook, self.pm.get_name(plugin))
                continue
            results.extend(result if isinstance(result, list) else [result])
        return [r for r in results if r is not None]

    def primary_navbar(self, navbar: "MenuItem", client: "Client | None") -> None:
        self._fire("client_area_primary_navbar", host=self._host(), navbar=navbar, client=client)

    def secondary_navbar(self, navbar: "MenuItem", client: "Client | None") -> None:
        self._fire("client_area_secondary_navbar", host=self._host(), navbar=navbar, client=client)

    def homepage_panels(self, panels: "MenuItem", client: "Client") -> None:
        self._fire("client_area_homepage_panels", host=self._host(), panels=panels, client=client)

    def admin_client_summary(self, client_id: int, admin_id: int) -> list[str]:
        """Every active addon's panel for the admin client page (HTML), lower priority first."""
        return [str(r) for r in self._fire("admin_area_client_summary_page", host=self._host(), client_id=client_id,
                                           admin_id=admin_id) if isinstance(r, str) and r]

    def pre_cron_job(self, ctx: "CronContext") -> None:
        self._fire("pre_cron_job", host=self._host(), ctx=ctx)

    def daily_cron_job(self, ctx: "CronContext") -> None:
        self._fire("daily_cron_job", host=self._host(), ctx=ctx)

    def after_cron_job(self, ctx: "CronContext") -> None:
        self._fire("after_cron_job", host=self._host(), ctx=ctx)

    def invoice_paid(self, invoice_id: int) -> None:
        self._fire("invoice_paid", host=self._host(), invoice_id=invoice_id)

    def client_details_validation(self, client_id: int, changes: dict[str, tuple[Any, Any]]) -> dict[str, str]:
        """Every active addon's objections to a client's change, merged (first one per field wins)."""
        errors: dict[str, str] = {}
        for result in self._fire("client_details_validation", host=self._host(), client_id=client_id, changes=changes):
            if isinstance(result, dict):
                for field, message in result.items():
                    errors.setdefault(str(field), str(message))
        return errors

    def client_details_reverted(self, client_id: int, changes: dict[str, tuple[Any, Any]]) -> None:
        self._fire("client_details_reverted", host=self._host(), client_id=client_id, changes=changes)

    def client_edit(self, client_id: int, changes: dict[str, tuple[Any, Any]]) -> None:
        self._fire("client_edit", host=self._host(), client_id=client_id, changes=changes)

    def client_status_change(self, client_id: int, old_status: Any, new_status: Any) -> None:
        self._fire("client_status_change", host=self._host(), client_id=client_id, old_status=old_status,
                   new_status=new_status)
