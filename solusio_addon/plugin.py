"""The SolusIO addon as the host sees it: the module registered under ``hostsim.addons``.

Thin hook implementations; the work is done in the modules named in each hook.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hostsim.db import migrate
from hostsim.plugins import hookimpl
from hostsim.plugins.types import ActivationResult, AddonConfig
from solusio_addon.db import MIGRATIONS, VERSION_TABLE

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from hostsim.host import Host
    from hostsim.plugins.types import AdminPage

log = logging.getLogger(__name__)

MODULE = "solusio"
VERSION = "1.2.0"


def migrate_to_head(host: "Host") -> None:
    """Create or upgrade the addon's own tables (their own Alembic history and version table)."""
    migrate.upgrade(host.engine, MIGRATIONS, VERSION_TABLE)


@hookimpl
def addon_config() -> AddonConfig:
    return AddonConfig(
        name="SolusIO",
        version=VERSION,
        author="hostsim",
        description="Sell SolusIO virtual machines with post-pay, usage-based monthly invoices.",
    )


@hookimpl
def addon_activate(host: "Host") -> ActivationResult:
    try:
        migrate_to_head(host)
    except Exception as exc:
        log.exception("SolusIO: creating the addon tables failed")
        return ActivationResult("error", f"The SolusIO tables could not be created: {exc}")
    return ActivationResult("success", "SolusIO activated. Grant access to role groups under Configure, "
                                       "then open the addon to connect it to SolusIO.")


@hookimpl
def addon_deactivate(host: "Host") -> ActivationResult:
    # The tables (enrolments, prices, billed periods) are the company's books: they stay.
    return ActivationResult("success", "SolusIO deactivated. Its billing data is kept and will be found again "
                                       "on reactivation; the connection settings were removed.")


@hookimpl
def addon_upgrade(host: "Host", previous_version: str) -> None:
    log.info("SolusIO: upgrading from %s to %s", previous_version, VERSION)
    migrate_to_head(host)


@hookimpl
def addon_admin_output(host: "Host", page: "AdminPage") -> Any:
    from solusio_addon.admin import render_admin_page
    return render_admin_page(host, page)


@hookimpl
def addon_blueprint(host: "Host") -> "Blueprint":
    from solusio_addon.integration_api import create_blueprint
    return create_blueprint(host)


@hookimpl
def addon_cli(host: "Host") -> "click.Command":
    from solusio_addon.cli import build_cli
    return build_cli(host)


# The billing hooks (SolusioAutomation cron task, InvoicePaid reactivation) live with the
# billing code; importing them here registers them as part of this plugin module.
from solusio_addon.billing.hooks import cron_tasks, invoice_paid  # noqa: E402,F401
from solusio_addon.client.hooks import addon_client_area, after_cron_job, client_area_homepage_panels, client_area_primary_navbar, client_edit  # noqa: E402,F401,E501
