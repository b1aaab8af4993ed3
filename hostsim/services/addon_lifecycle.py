"""Activate, deactivate, upgrade and grant access to addons, as the WHMCS Addon Modules page does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import delete, select

from hostsim.db.models import AddonAccess, AddonModule, AdminRole
from hostsim.plugins.types import ActivationResult

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessChange:
    """Which role groups gained and lost access to an addon's page; ``none_left``: no group has it."""

    granted: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    none_left: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.granted or self.revoked)

    def sentences(self, addon: str) -> list[str]:
        """"Full Administrator can now open SolusIO", "Support Operator can no longer open SolusIO"."""
        def names(groups: tuple[str, ...]) -> str:
            return groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + " and " + groups[-1]

        out = []
        if self.granted:
            out.append(f"{names(self.granted)} can now open {addon}")
        if self.revoked:
            out.append(f"{names(self.revoked)} can no longer open {addon}")
        return out


class LifecycleError(RuntimeError):
    """An activation, deactivation or upgrade that did not happen; the message says why."""


class AddonLifecycle:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def is_active(self, module: str) -> bool:
        """Whether ``module`` is active; in a web request, kept until any process changes that."""
        return module in self.host.addon_versions()

    def stored_version(self, module: str) -> str | None:
        return self.host.addon_versions().get(module)

    def _is_active_now(self, module: str) -> bool:
        """The database's answer, never a cached one: a change is judged against it."""
        with self.host.sessions() as s:
            return s.get(AddonModule, module) is not None

    def activate(self, module: str, *, actor: str = "System") -> ActivationResult:
        config = self.host.addons.config(module)  # raises UnknownAddon
        if self._is_active_now(module):
            return ActivationResult("info", f"{config.name} is already active")
        result = self.host.addons.activate(module) or ActivationResult()
        if result.status == "error":
            self.host.activity.log(f"Addon {module}: activation failed: {result.description}", actor=actor)
            return result
        with self.host.transaction() as s:
            s.add(AddonModule(module=module, version=config.version, activated_at=self.host.clock.now()))
            s.flush()
            self.host.addon_settings.seed_defaults(module, s)
            self.host.activity.log(f"Addon {module} {config.version} activated", actor=actor, session=s)
        self.host.addons.forget_active()
        return result if result.description else ActivationResult("success", f"{config.name} activated")

    def deactivate(self, module: str, *, actor: str = "System") -> ActivationResult:
        config = self.host.addons.config(module)
        if not self._is_active_now(module):
            return ActivationResult("info", f"{config.name} is not active")
        result = self.host.addons.deactivate(module) or ActivationResult()
        if result.status == "error":
            self.host.activity.log(f"Addon {module}: deactivation failed: {result.description}", actor=actor)
            return result
        with self.host.transaction() as s:
            self.host.addon_settings.remove_all(module, s)
            s.execute(delete(AddonAccess).where(AddonAccess.module == module))
            s.execute(delete(AddonModule).where(AddonModule.module == module))
            self.host.activity.log(f"Addon {module} deactivated; its settings were removed", actor=actor, session=s)
        self.host.addons.forget_active()
        return result if result.description else ActivationResult("success", f"{config.name} deactivated")

    def upgrade_if_needed(self, module: str, *, actor: str = "System") -> str | None:
        """Call the addon's upgrade with the previous version when the code's version differs.

        Returns the previous version when an upgrade ran, else None.
        """
        config = self.host.addons.config(module)
        previous = self.stored_version(module)
        if previous is None or previous == config.version:
            return None
        try:
            self.host.addons.upgrade(module, previous)
        except Exception as exc:
            log.exception("upgrade of %s from %s failed", module, previous)
            raise LifecycleError(f"{config.name}: upgrade from {previous} to {config.version} failed: {exc}") from exc
        with self.host.transaction() as s:
            row = s.get(AddonModule, module)
            if row is not None:
                row.version = config.version
            self.host.activity.log(f"Addon {module} upgraded from {previous} to {config.version}", actor=actor, session=s)
        return previous

    def upgrade_all_active(self) -> None:
        for module in sorted(self.host.addons.active()):
            self.upgrade_if_needed(module)

    # --- role-group access ----------------------------------------------------------------

    def access_role_ids(self, module: str) -> set[int]:
        """The role groups that may open ``module``'s page (kept like ``is_active``)."""
        return set(self.host.addon_access().get(module, frozenset()))

    def set_access(self, module: str, role_ids: Iterable[int], *, actor: str = "System") -> "AccessChange":
        """Give exactly ``role_ids`` access to the addon's admin page; what changed (nothing is
        written or logged when nothing did)."""
        wanted = set(role_ids)
        with self.host.transaction() as s:
            if s.get(AddonModule, module) is None:
                raise LifecycleError(f"activate {module} before granting access to it")
            known = {r.id: r.name for r in s.scalars(select(AdminRole))}
            unknown = wanted - known.keys()
            if unknown:
                raise LifecycleError(f"access: unknown role group id(s) {sorted(unknown)}")
            current = set(s.scalars(select(AddonAccess.role_id).where(AddonAccess.module == module)))
            change = AccessChange(tuple(known[r] for r in sorted(wanted - current)),
                                  tuple(known[r] for r in sorted(current - wanted)), not wanted)
            if current == wanted:
                return change
            s.execute(delete(AddonAccess).where(AddonAccess.module == module))
            s.add_all(AddonAccess(module=module, role_id=r) for r in sorted(wanted))
            name = self.host.addons.config(module).name
            self.host.activity.log(f"Addon {name}: " + "; ".join(change.sentences(name)), actor=actor, session=s)
        return change

    def can_access(self, module: str, role_id: int) -> bool:
        return self.is_active(module) and role_id in self.access_role_ids(module)
