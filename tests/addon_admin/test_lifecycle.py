"""Activation through the entry point, the addon's own migrations, deactivation that keeps the
billing data, and an in-place upgrade of a database made by an older version."""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import entry_points
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy import column as sa_column
from sqlalchemy import inspect, select
from sqlalchemy import table as sa_table

import solusio_addon.plugin
from hostsim.addon_api import Host as AddonHost
from hostsim.addon_api import UTCDateTime
from hostsim.db import migrate
from hostsim.db.models import AddonModule, Currency
from hostsim.host import Host
from hostsim.plugins.manager import get_plugin_manager
from hostsim.services.clients import create_client
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.connection import connect
from solusio_addon.db import MIGRATIONS, VERSION_TABLE
from solusio_addon.db.models import Enrolment, EnrolmentStatus, TokenPrice
from solusio_sim import SimServer

ADDON_TABLES = {"mod_solusio_token_prices", "mod_solusio_enrolments", "mod_solusio_sso_links",
                "mod_solusio_signups", "mod_solusio_billed_periods", "mod_solusio_usage_lines",
                "mod_solusio_drift", "mod_solusio_reconcile_runs", "mod_solusio_status_warnings",
                "mod_solusio_billing_batches"}


def tables(host: Host) -> set[str]:
    return {t for t in inspect(host.engine).get_table_names() if t.startswith("mod_solusio_")}


def test_found_through_the_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="hostsim.addons")}
    assert found.get("solusio") == "solusio_addon.plugin"
    pm = get_plugin_manager(autoload=True)
    assert pm.get_plugin("solusio") is solusio_addon.plugin


def test_listed_on_addon_modules_and_activated_from_there(admin_client: FlaskClient) -> None:
    html = admin_client.get("/admin/addonmodules").get_data(as_text=True)
    assert "SolusIO" in html and "v1.5.0" in html


def test_activation_creates_the_tables_at_head(addon_host: Host) -> None:
    assert tables(addon_host) == ADDON_TABLES
    assert migrate.current_revision(addon_host.engine, VERSION_TABLE) == migrate.head_revision(MIGRATIONS)
    assert addon_host.lifecycle.stored_version("solusio") == "1.5.0"


def _client(host: Host, email: str = "keep@example.com") -> int:
    with host.transaction() as s:
        return create_client(s, first_name="Keep", last_name="Me", email=email, password="Client-Pass-1234",
                             now=host.clock.now()).id


def test_deactivation_keeps_billing_data_and_reactivation_finds_it(addon_host: Host, api: AddonHost,
                                                                  sim: SimServer) -> None:
    assert connect(api, sim.url, sim.admin_token).ok
    client_id = _client(addon_host)
    parsed, _ = pricing.validate_prices({"USD": "0.0010"}, pricing.active_prices(api), require_all=False)
    pricing.save_prices(api, parsed)
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=client_id, solusio_user_id=42, status=EnrolmentStatus.ACTIVE,
                        created_at=addon_host.clock.now()))
    result = addon_host.lifecycle.deactivate("solusio")
    assert result.status == "success" and "kept" in result.description
    assert tables(addon_host) == ADDON_TABLES
    assert not addon_settings.load_connection(api).connected  # the host removed the settings
    assert addon_host.lifecycle.activate("solusio").status == "success"
    with addon_host.sessions() as s:
        assert s.scalars(select(Enrolment.solusio_user_id)).all() == [42]
    assert {r.code: r.price for r in pricing.active_prices(api)}["USD"] == Decimal("0.0010")


def test_upgrade_from_1_0_0_in_place(make_host: Callable[..., Host]) -> None:
    host = make_host(("solusio", solusio_addon.plugin))
    if migrate.current_revision(host.engine, VERSION_TABLE) is not None:  # server backends share a database
        migrate.downgrade(host.engine, "base", MIGRATIONS, VERSION_TABLE)
    # The database as addon 1.0.0 left it: revision 0001, version 1.0.0 stored, data in it.
    migrate.upgrade(host.engine, MIGRATIONS, VERSION_TABLE, revision="0001")
    assert tables(host) == {"mod_solusio_token_prices", "mod_solusio_enrolments", "mod_solusio_sso_links"}
    client_id = _client(host, "old@example.com")
    with host.transaction() as s:
        usd = s.scalars(select(Currency).where(Currency.code == "USD")).one()
        s.add(AddonModule(module="solusio", version="1.0.0", activated_at=host.clock.now()))
        s.add(TokenPrice(currency_id=usd.id, price=Decimal("0.0012"), updated_at=host.clock.now()))
        # the 1.0.0 table's columns only (the model has grown since)
        old_enrolments = sa_table("mod_solusio_enrolments", *(sa_column(c) for c in (
            "client_id", "solusio_user_id", "status", "exempt_from_overdue", "pending_password", "last_error",
            "tos_accepted_ip", "postpay_terms_url", "postpay_terms_accepted_ip")), sa_column("created_at", UTCDateTime()))
        s.execute(old_enrolments.insert().values(client_id=client_id, solusio_user_id=7, status="locked",
                                                 exempt_from_overdue=False, pending_password="", last_error="",
                                                 tos_accepted_ip="", postpay_terms_url="",
                                                 postpay_terms_accepted_ip="", created_at=host.clock.now()))
    assert host.lifecycle.upgrade_if_needed("solusio") == "1.0.0"
    assert host.lifecycle.stored_version("solusio") == "1.5.0"
    assert tables(host) == ADDON_TABLES
    assert migrate.current_revision(host.engine, VERSION_TABLE) == "0006"
    with host.sessions() as s:
        assert s.scalars(select(TokenPrice.price)).all() == [Decimal("0.0012")]
        enrolment = s.scalars(select(Enrolment)).one()
        assert (enrolment.solusio_user_id, enrolment.status) == (7, EnrolmentStatus.LOCKED)
    assert host.lifecycle.upgrade_if_needed("solusio") is None  # nothing left to do


def test_migration_0004_goes_down_and_up_keeping_enrolments(addon_host: Host) -> None:
    client_id = _client(addon_host)
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=client_id, solusio_user_id=9, status=EnrolmentStatus.ACTIVE, user_created=True,
                        created_at=addon_host.clock.now()))
    migrate.downgrade(addon_host.engine, "0003", MIGRATIONS, VERSION_TABLE)
    assert "mod_solusio_drift" not in tables(addon_host)
    columns = {c["name"] for c in inspect(addon_host.engine).get_columns("mod_solusio_enrolments")}
    assert not {"closed_at", "reopened_at", "user_created"} & columns
    migrate.upgrade(addon_host.engine, MIGRATIONS, VERSION_TABLE)
    assert tables(addon_host) == ADDON_TABLES
    with addon_host.sessions() as s:
        enrolment = s.scalars(select(Enrolment)).one()
        # what 0004 cannot know: a user linked before it is not taken for one the addon created
        assert (enrolment.solusio_user_id, enrolment.user_created, enrolment.closed_at) == (9, False, None)
