"""The object registered under the ``hostsim.addons`` entry point ``hello``: the addon calls.

The host registers the modules in ``HOOK_MODULES`` as parts of this addon; their hooks run only
while the addon is active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hostsim.addon_api import ActivationResult, AddonConfig, ConfigField, hookimpl

if TYPE_CHECKING:
    from hostsim.addon_api import Host

VERSION = "1.0.0"

#: The addon's other hook modules: the client area (page, homepage panel) and the cron task.
HOOK_MODULES = ("hello_addon.clientarea", "hello_addon.cron")


@hookimpl
def addon_config() -> AddonConfig:
    return AddonConfig(
        name="Hello",
        version=VERSION,
        author="hostsim",
        description="Greets clients on a page of its own and on their homepage; logs a daily digest.",
        fields=(ConfigField("greeting", "Greeting", "text", default="Hello",
                            description="How the page and the homepage panel greet a client"),),
    )


@hookimpl
def addon_activate(host: Host) -> ActivationResult:
    # An addon with tables would run its migrations here (``upgrade_migrations``).
    return ActivationResult("success", "Hello activated. Set its greeting under Configure.")


@hookimpl
def addon_deactivate(host: Host) -> ActivationResult:
    return ActivationResult("success", "Hello deactivated; its greeting was removed.")
