"""The typed facade over the gateway hooks: one gateway at a time, never by a hook-name string."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

from hostsim.plugins.gateway_types import (
    CallbackRequest,
    CallbackResult,
    GatewayConfig,
    GatewayParams,
    PayableInvoice,
    PaymentForm,
    RefundRequest,
    RefundResult,
)
from hostsim.plugins.manager import GATEWAY_PREFIX

if TYPE_CHECKING:
    from flask import Blueprint

    from hostsim.addon_api.host import Host


class UnknownGateway(LookupError):
    pass


class GatewayRegistry:
    def __init__(self, pm: pluggy.PluginManager, addon_host: Callable[[], "Host"]) -> None:
        self.pm = pm
        self._host = addon_host

    def installed(self) -> list[str]:
        """Machine names of the installed gateway modules, sorted."""
        return sorted(name[len(GATEWAY_PREFIX):] for name, _ in self.pm.list_name_plugin()
                      if name and name.startswith(GATEWAY_PREFIX))

    def is_installed(self, name: str) -> bool:
        return name in self.installed()

    def _one(self, name: str, hook: str) -> pluggy.HookCaller:
        plugin = self.pm.get_plugin(GATEWAY_PREFIX + name)
        if plugin is None:
            raise UnknownGateway(f"no payment gateway named {name!r} is installed")
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)

    def config(self, name: str) -> GatewayConfig:
        result = self._one(name, "gateway_config")()
        if not isinstance(result, GatewayConfig):
            raise TypeError(f"gateway {name!r}: gateway_config must return a GatewayConfig")
        return result

    def payment_form(self, name: str, params: GatewayParams, invoice: PayableInvoice) -> PaymentForm | None:
        result: Any = self._one(name, "gateway_payment_form")(host=self._host(), params=params, invoice=invoice)
        return result if isinstance(result, PaymentForm) else None

    def instructions(self, name: str, params: GatewayParams, invoice: PayableInvoice) -> str:
        result = self._one(name, "gateway_instructions")(host=self._host(), params=params, invoice=invoice)
        return result if isinstance(result, str) else ""

    def callback(self, name: str, params: GatewayParams, request: CallbackRequest) -> CallbackResult:
        result = self._one(name, "gateway_callback")(host=self._host(), params=params, request=request)
        if result is None:  # an offline method (bank transfer) takes no callbacks
            return CallbackResult("ignored", message="this payment method takes no callbacks")
        if not isinstance(result, CallbackResult):
            raise TypeError(f"gateway {name!r}: gateway_callback must return a CallbackResult")
        return result

    def refund(self, name: str, params: GatewayParams, refund: RefundRequest) -> RefundResult | None:
        result = self._one(name, "gateway_refund")(host=self._host(), params=params, refund=refund)
        return result if isinstance(result, RefundResult) else None

    def blueprint(self, name: str) -> "Blueprint | None":
        return self._one(name, "gateway_blueprint")(host=self._host())
