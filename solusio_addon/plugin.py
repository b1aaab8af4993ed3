"""The SolusIO addon as the host sees it: the module registered under ``hostsim.addons``."""

from __future__ import annotations

from hostsim.plugins import hookimpl
from hostsim.plugins.types import AddonConfig

MODULE = "solusio"
VERSION = "1.0.0"


@hookimpl
def addon_config() -> AddonConfig:
    return AddonConfig(
        name="SolusIO",
        version=VERSION,
        author="hostsim",
        description="Sell SolusIO virtual machines with post-pay, usage-based monthly invoices.",
    )
