"""The Post-Pay tab's and the CLI's warning settings (days before the lock and the suspension)."""

from __future__ import annotations

from flask.testing import FlaskClient

from hostsim.addon_api import Host as AddonHost
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.warning_settings import WarningSettings, load_warnings
from solusio_sim import SimServer

from .conftest import PAGE, page_csrf
from .test_admin_page import connect_via_page

FORM = {"action": "postpay", "limit_group_id": "", "terms_url": "", "grace_days": "14", "lock_days": "7",
        "suspend_days": "14", "lookback_months": "3"}


def test_postpay_tab_shows_saves_and_checks_the_warning_days(admin_client: FlaskClient, api: AddonHost,
                                                            sim: SimServer) -> None:
    connect_via_page(admin_client, sim)
    html = admin_client.get(PAGE + "&tab=postpay").get_data(as_text=True)
    assert 'name="lock_warning_days" value="3"' in html and 'name="suspend_warning_days" value="3"' in html
    assert "Warn Before Lock" in html and "Warn Before Suspension" in html
    csrf = page_csrf(admin_client, PAGE + "&tab=postpay")
    resp = admin_client.post(PAGE + "&tab=postpay", data={**FORM, "csrf_token": csrf, "lock_warning_days": "5",
                                                           "suspend_warning_days": "0"})
    assert resp.status_code == 302
    assert load_warnings(api) == WarningSettings(5, 0)
    before = addon_settings.load_postpay(api)
    for bad, message in (("-1", "enter a whole number of days"), ("366", "enter a number from 0 to 365"),
                         ("", "a value is required"), ("٣", "enter a whole number of days")):
        resp = admin_client.post(PAGE + "&tab=postpay", data={**FORM, "csrf_token": csrf, "grace_days": "10",
                                                               "lock_warning_days": bad})
        html = resp.get_data(as_text=True)
        assert f"Warn Before Lock: {message}" in html and "Nothing was saved" in html, bad
        assert load_warnings(api) == WarningSettings(5, 0)
        assert addon_settings.load_postpay(api) == before  # the other fields are not saved either
    # a form without the fields (an older page) keeps what is saved
    resp = admin_client.post(PAGE + "&tab=postpay", data={**FORM, "csrf_token": csrf})
    assert resp.status_code == 302 and load_warnings(api) == WarningSettings(5, 0)


def test_cli_sets_and_shows_the_warning_days(addon_host, cli) -> None:
    result = cli(addon_host, "solusio", "postpay", "set", "--lock-warning-days", "2", "--suspend-warning-days", "4")
    assert result.exit_code == 0, result.output
    assert load_warnings(addon_host.addon_api) == WarningSettings(2, 4)
    shown = cli(addon_host, "solusio", "postpay", "show").output
    assert "lock_warning_days: 2" in shown and "suspend_warning_days: 4" in shown
    result = cli(addon_host, "solusio", "postpay", "set", "--suspend-warning-days", "x")
    assert result.exit_code != 0 and "Warn Before Suspension" in result.output
    assert load_warnings(addon_host.addon_api) == WarningSettings(2, 4)


def test_migration_0005_goes_down_and_up(addon_host) -> None:
    from sqlalchemy import inspect

    from hostsim.db import migrate
    from solusio_addon.db import MIGRATIONS, VERSION_TABLE

    assert "mod_solusio_status_warnings" in inspect(addon_host.engine).get_table_names()
    migrate.downgrade(addon_host.engine, "0004", MIGRATIONS, VERSION_TABLE)
    assert "mod_solusio_status_warnings" not in inspect(addon_host.engine).get_table_names()
    migrate.upgrade(addon_host.engine, MIGRATIONS, VERSION_TABLE)
    assert "mod_solusio_status_warnings" in inspect(addon_host.engine).get_table_names()
    assert migrate.current_revision(addon_host.engine, VERSION_TABLE) == "0006"  # head
