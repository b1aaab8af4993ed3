"""Addon lifecycle as WHMCS has it: activate, settings rules, access, upgrade, deactivate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hostsim.addon_api import hookimpl
from hostsim.db.models import ActivityLog, AddonSetting, AdminRole
from hostsim.plugins.manager import UnknownAddon, get_plugin_manager
from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.services.menus import MenuItem
from tests.fake_addons import RecordingAddon


def activity(host) -> list[str]:
    with host.sessions() as s:
        return [a.description for a in s.scalars(select(ActivityLog).order_by(ActivityLog.id))]


def test_lifecycle_calls_reach_only_the_addon_named(make_host):
    one, two = RecordingAddon("one"), RecordingAddon("two")
    host = make_host(("one", one), ("two", two))
    assert host.addons.installed() == ["one", "two"]
    host.lifecycle.activate("one")
    assert one.calls == [("activate",)]
    assert two.calls == []
    assert host.addons.active() == {"one"}


def test_unknown_addon_is_refused(host):
    with pytest.raises(UnknownAddon):
        host.lifecycle.activate("nope")


def test_activation_error_leaves_the_addon_inactive(make_host):
    host = make_host(("bad", RecordingAddon("bad", activate_status="error")))
    result = host.lifecycle.activate("bad")
    assert (result.status, result.description) == ("error", "the database is missing a table")
    assert not host.lifecycle.is_active("bad")
    assert "activation failed" in activity(host)[-1]


def test_activation_stores_version_and_defaults(make_host):
    host = make_host(("one", RecordingAddon("one", "2.1")))
    host.lifecycle.activate("one")
    assert host.lifecycle.stored_version("one") == "2.1"
    assert host.addon_settings.get_all("one") == {
        "api_user": "admin", "api_secret": "", "enabled": "on", "mode": "live", "colour": "red", "notes": ""}


def test_settings_rules_trim_yesno_defaults_and_masked_password(make_host):
    host = make_host(("one", RecordingAddon("one")))
    host.lifecycle.activate("one")
    host.addon_settings.save_config("one", {"api_user": "  bob  ", "api_secret": " s3cret ", "enabled": "on",
                                            "mode": "test", "colour": "blue", "notes": " hi "}, actor="alice")
    assert host.addon_settings.get_all("one")["api_user"] == "bob"
    assert host.addon_settings.get_all("one")["api_secret"] == "s3cret"
    # The stored secret is encrypted at rest, never the plain text.
    with host.sessions() as s:
        row = s.scalars(select(AddonSetting).where(AddonSetting.setting == "api_secret")).one()
        assert row.encrypted and "s3cret" not in row.value
    # The form shows the mask; submitting the mask back keeps the secret. An unticked yesno is
    # absent from the form and means off; a missing text field gets its default.
    shown = host.addon_settings.for_display("one")
    assert shown["api_secret"] == PASSWORD_MASK
    host.addon_settings.save_config("one", {"api_secret": PASSWORD_MASK, "mode": "test", "colour": "blue"})
    values = host.addon_settings.get_all("one")
    assert values["api_secret"] == "s3cret"
    assert values["enabled"] == ""
    assert values["api_user"] == "admin"
    log = "\n".join(activity(host))
    assert "setting API User changed from 'admin' to 'bob'" in log
    assert "setting API Secret changed" in log and "s3cret" not in log


def test_invalid_dropdown_value_saves_nothing(make_host):
    host = make_host(("one", RecordingAddon("one")))
    host.lifecycle.activate("one")
    before = host.addon_settings.get_all("one")
    with pytest.raises(ValueError, match="Mode"):
        host.addon_settings.save_config("one", {"api_user": "changed", "mode": "sideways"})
    assert host.addon_settings.get_all("one") == before


def test_access_list_and_can_access(make_host):
    host = make_host(("one", RecordingAddon("one")))
    host.lifecycle.activate("one")
    with host.sessions() as s:
        roles = {r.name: r.id for r in s.scalars(select(AdminRole))}
    host.lifecycle.set_access("one", [roles["Full Administrator"]])
    assert host.lifecycle.can_access("one", roles["Full Administrator"])
    assert not host.lifecycle.can_access("one", roles["Support Operator"])
    assert activity(host)[-1] == "Addon One: Full Administrator can now open One"


def test_upgrade_gets_the_previous_version(make_host, db_url, tmp_path):
    old = RecordingAddon("one", "1.0")
    host = make_host(("one", old))
    host.lifecycle.activate("one")
    new = RecordingAddon("one", "1.1")
    upgraded = make_host(("one", new))
    assert upgraded.lifecycle.upgrade_if_needed("one") == "1.0"
    assert new.calls == [("upgrade", "1.0")]
    assert upgraded.lifecycle.stored_version("one") == "1.1"
    assert upgraded.lifecycle.upgrade_if_needed("one") is None


def test_deactivation_removes_settings_and_access_and_silences_events(make_host):
    addon = RecordingAddon("one")
    host = make_host(("one", addon))
    host.lifecycle.activate("one")
    host.addon_settings.save_config("one", {"api_user": "bob"})
    host.lifecycle.deactivate("one")
    with host.sessions() as s:
        assert s.scalars(select(AddonSetting)).all() == []
    navbar = MenuItem("root")
    host.addons.primary_navbar(navbar, None)
    assert navbar.get_child("one-menu") is None
    assert ("navbar",) not in addon.calls


def test_deactivation_in_another_process_is_seen_at_once(make_host):
    """Events read the active set from the database, not a cache of this process."""
    addon = RecordingAddon("one")
    web = make_host(("one", addon))
    web.lifecycle.activate("one")
    navbar = MenuItem("root")
    web.addons.primary_navbar(navbar, None)
    assert navbar.get_child("one-menu") is not None
    other_process = make_host(("one", RecordingAddon("one")))
    other_process.lifecycle.deactivate("one")
    navbar = MenuItem("root")
    web.addons.primary_navbar(navbar, None)
    assert navbar.get_child("one-menu") is None


class Ordered:
    def __init__(self, log: list[str], tag: str) -> None:
        self.log, self.tag = log, tag

    @hookimpl
    def addon_config(self):
        from hostsim.addon_api import AddonConfig
        return AddonConfig(name=self.tag, version="1")


def test_event_priorities_lower_runs_first(make_host):
    log: list[str] = []

    class Late(Ordered):
        @hookimpl(priority=50)
        def client_area_primary_navbar(self, host, navbar, client):
            log.append("late")

    class Early(Ordered):
        @hookimpl(priority=-5)
        def client_area_primary_navbar(self, host, navbar, client):
            log.append("early")

    class Default(Ordered):
        @hookimpl
        def client_area_primary_navbar(self, host, navbar, client):
            log.append("default")

    host = make_host(("late", Late(log, "late")), ("early", Early(log, "early")), ("default", Default(log, "d")))
    for name in ("late", "early", "default"):
        host.lifecycle.activate(name)
    host.addons.primary_navbar(MenuItem("root"), None)
    assert log == ["early", "default", "late"]


def test_a_broken_event_hook_does_not_stop_the_others(make_host):
    class Broken(Ordered):
        @hookimpl(priority=0)
        def client_area_primary_navbar(self, host, navbar, client):
            raise RuntimeError("boom")

    good = RecordingAddon("good")
    host = make_host(("broken", Broken([], "b")), ("good", good))
    host.lifecycle.activate("broken")
    host.lifecycle.activate("good")
    navbar = MenuItem("root")
    host.addons.primary_navbar(navbar, None)
    assert navbar.get_child("good-menu") is not None


def test_misspelled_hook_fails_loudly():
    class Typo:
        @hookimpl
        def clientarea_primary_navbar(self, host, navbar, client):
            pass

    from pluggy import PluginValidationError
    with pytest.raises(PluginValidationError):
        get_plugin_manager(autoload=False, addons=[("typo", Typo())])


def test_entry_point_discovers_the_solusio_addon():
    pm = get_plugin_manager(autoload=True)
    assert pm.get_plugin("solusio") is not None
