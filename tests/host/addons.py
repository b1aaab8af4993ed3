"""Small addons the host tests register (the real SolusIO addon is tested on its own)."""

from __future__ import annotations

from hostsim.plugins import hookimpl
from hostsim.plugins.types import ActivationResult, AddonConfig, ConfigField

FIELDS = (
    ConfigField("api_user", "API User", "text", default="admin"),
    ConfigField("api_secret", "API Secret", "password"),
    ConfigField("enabled", "Enabled", "yesno", default="on"),
    ConfigField("mode", "Mode", "dropdown", default="live", options=("live", "test")),
    ConfigField("colour", "Colour", "radio", default="red", options=("red", "blue")),
    ConfigField("notes", "Notes", "textarea"),
)


class RecordingAddon:
    """Records every call it gets, so tests can see which addon a call reached."""

    def __init__(self, name: str, version: str = "1.0", *, activate_status: str = "success") -> None:
        self.name = name
        self.version = version
        self.activate_status = activate_status
        self.calls: list[tuple] = []

    @hookimpl
    def addon_config(self) -> AddonConfig:
        return AddonConfig(name=self.name.title(), version=self.version, author="tests", fields=FIELDS)

    @hookimpl
    def addon_activate(self, host):
        self.calls.append(("activate",))
        if self.activate_status == "error":
            return ActivationResult("error", "the database is missing a table")
        return None

    @hookimpl
    def addon_deactivate(self, host):
        self.calls.append(("deactivate",))

    @hookimpl
    def addon_upgrade(self, host, previous_version):
        self.calls.append(("upgrade", previous_version))

    @hookimpl
    def invoice_paid(self, host, invoice_id):
        self.calls.append(("invoice_paid", invoice_id))

    @hookimpl
    def client_area_primary_navbar(self, host, navbar, client):
        self.calls.append(("navbar",))
        navbar.add_child(f"{self.name}-menu", label=self.name)
