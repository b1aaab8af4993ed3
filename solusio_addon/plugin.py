"""The SolusIO addon as the host sees it: the object registered under ``hostsim.addons``.

The addon calls (config, activate, deactivate, upgrade, admin page, blueprint, CLI) live here;
the events and collectors are in the modules listed in ``HOOK_MODULES``, which the host registers
explicitly as parts of this addon. The work is done in the modules each hook names.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hostsim.addon_api import ActivationResult, AddonConfig, hookimpl, upgrade_migrations
from solusio_addon.db import MIGRATIONS, VERSION_TABLE

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from hostsim.addon_api import AdminPage, Host

log = logging.getLogger(__name__)

MODULE = "solusio"
VERSION = "1.5.0"

#: The addon's other hook modules: billing (the cron task, InvoicePaid, client closure), the client area (page,
#: menus, homepage panel, email changes) and the demo command.
HOOK_MODULES = (
    "solusio_addon.billing.hooks",
    "solusio_addon.billing.closure",
    "solusio_addon.clientarea.hooks",
    "solusio_addon.clientarea.email_sync",
    "solusio_addon.demo.hooks",
    "solusio_addon.admin.dashboard_widgets",
    "solusio_addon.admin.client_panel",
)


def migrate_to_head(host: "Host") -> None:
    """Create or upgrade the addon's own tables (their own Alembic history and version table)."""
    upgrade_migrations(host.engine, MIGRATIONS, VERSION_TABLE)


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
    from solusio_addon.admin.page import render_admin_page
    return render_admin_page(host, page)


@hookimpl
def addon_blueprint(host: "Host") -> "Blueprint":
    from solusio_addon.admin.client_panel import create_blueprint as client_admin_blueprint
    from solusio_addon.admin.integration_api import create_blueprint
    from solusio_addon.clientarea.views import create_blueprint as client_area_blueprint

    bp = create_blueprint(host)
    bp.register_blueprint(client_area_blueprint())  # client pages: CSRF-protected, unlike the API
    bp.register_blueprint(client_admin_blueprint(host))  # the admin client page's SolusIO actions: the same
    return bp


@hookimpl
def addon_cli(host: "Host") -> "click.Command":
    from solusio_addon.admin.cli import build_cli
    return build_cli(host)
