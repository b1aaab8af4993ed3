"""Every hook of the addon API, specified and documented once.

Three kinds of hooks:

* **Addon calls** (``addon_*``) reach exactly ONE addon, the one the host is acting on
  (activating it, rendering its page...). They mirror the functions of a WHMCS addon module.
  Every one is ``firstresult``: the addon's answer, or ``None``.
* **Collectors** (``register_*``, or a WHMCS name, below) ask every addon for things to add
  (cron tasks, commands, dashboard widgets); all results are gathered.
* **Events** reach every ACTIVE addon, ordered by priority (lower first). A deactivated addon's
  events never fire, in any process: the host reads the active set from the database.

Naming: a hook that mirrors a WHMCS hook point keeps WHMCS's name in snake_case, whatever its kind,
so a WHMCS developer finds the hook they know (``AdminHomeWidgets`` -> ``admin_home_widgets``, a
collector; ``AdminAreaClientSummaryPage`` -> ``admin_area_client_summary_page``, an event whose
answers are gathered); its docstring names the WHMCS hook. A hook WHMCS has no counterpart for is
named for its kind: ``addon_*`` for an addon call, ``register_*`` for a collector, what happened
for an event (``client_status_change``).

Every hook that acts on an instance receives ``host``, the addon facade
(:class:`hostsim.addon_api.Host`), as its first argument, cron hooks included.

``docs/hooks.md`` documents each hook with its exact signature; a test keeps the two in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hostsim.plugins.gateway_hookspecs import (  # noqa: F401 - the gateway kind of plugin, one spec set
    gateway_blueprint,
    gateway_callback,
    gateway_config,
    gateway_instructions,
    gateway_payment_form,
    gateway_refund,
)
from hostsim.plugins.markers import hookspec

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Response

    from hostsim.addon_api.host import Host
    from hostsim.cron.context import CronContext, CronTaskSpec
    from hostsim.db.models import Client, ClientStatus
    from hostsim.plugins.types import (
        ActivationResult,
        AddonConfig,
        AdminPage,
        AdminWidget,
        ClientAreaPage,
        ClientAreaRequest,
        JsonAnswer,
    )
    from hostsim.services.menus import MenuItem


# --- Addon calls: one addon at a time -----------------------------------------------------


@hookspec(firstresult=True)
def addon_config() -> "AddonConfig":
    """Describe the addon: name, version, author, description and its configuration fields.

    Return an :class:`~hostsim.plugins.types.AddonConfig`. Called on the addon named; the
    first non-None result is used. The host renders the fields on the Addon Modules page.
    """


@hookspec(firstresult=True)
def addon_activate(host: "Host") -> "ActivationResult | None":
    """Prepare the addon for use (create its tables, seed its defaults).

    Return an :class:`~hostsim.plugins.types.ActivationResult`; ``None`` means success.
    ``status="error"`` leaves the addon inactive and shows the description to the admin.

    :param host: the host services (database, settings, clock, mail...).
    """


@hookspec(firstresult=True)
def addon_deactivate(host: "Host") -> "ActivationResult | None":
    """Stop the addon. The host then removes its stored settings and access list.

    Return an :class:`~hostsim.plugins.types.ActivationResult`; ``None`` means success. The
    addon decides which of its own tables survive (keep billing data).

    :param host: the host services.
    """


@hookspec(firstresult=True)
def addon_upgrade(host: "Host", previous_version: str) -> None:
    """Migrate the addon from ``previous_version`` to the version its config declares.

    Return ``None``. Called when the stored version differs from :func:`addon_config`'s
    version; the host stores the new version afterwards. Raise to keep the old version stored.

    :param host: the host services.
    :param previous_version: the version that was installed before.
    """


@hookspec(firstresult=True)
def addon_admin_output(host: "Host", page: "AdminPage") -> "str | Response | None":
    """Render the addon's admin page (WHMCS ``<module>_output``).

    Return HTML, which the host places inside the admin layout, or a Flask response (for a
    redirect or a download). Only admins whose role group has access reach this call.

    :param host: the host services.
    :param page: the module name, its link, settings, language strings and the request.
    """


@hookspec(firstresult=True)
def addon_admin_sidebar(host: "Host", page: "AdminPage") -> "str | None":
    """Render the addon's admin sidebar as HTML, or ``None`` for no sidebar.

    :param host: the host services.
    :param page: as for :func:`addon_admin_output`.
    """


@hookspec(firstresult=True)
def addon_client_area(host: "Host", page: "ClientAreaRequest") -> "ClientAreaPage | JsonAnswer | Response | None":
    """Answer a request for the addon's client-area page (``/index.php?m=<module>``).

    Return a :class:`~hostsim.plugins.types.ClientAreaPage` (title, breadcrumb, template,
    ``requirelogin``, variables), a :class:`~hostsim.plugins.types.JsonAnswer`, or a Flask
    response. A missing template is logged and the visitor sent home.

    :param host: the host services.
    :param page: the module, its link, settings, the logged-in client id (or None), the request.
    """


@hookspec(firstresult=True)
def addon_blueprint(host: "Host") -> "Blueprint | None":
    """Give the host a Flask blueprint of the addon's own HTTP routes, or ``None``.

    Called once per web application for every installed addon; the host mounts the blueprint
    under ``/modules/addons/<module>/`` and answers 404 while the addon is not active, so its
    routes never run for a deactivated addon.

    :param host: the host services.
    """


@hookspec(firstresult=True)
def addon_cli(host: "Host") -> "click.Command | None":
    """Give the host a click command (usually a group) added as ``hostsim <module> ...``.

    Return the command, or ``None``. Called only for ACTIVE addons when the ``hostsim``
    command starts.

    :param host: the host services.
    """


# --- Collectors: every addon, all results gathered -----------------------------------------


@hookspec
def register_commands() -> "list[click.Command]":
    """Add top-level ``hostsim`` commands that need no instance (a demo, a standalone tool).

    Return a list of click commands. Collected from every INSTALLED addon, active or not,
    because these commands run before any instance exists (``hostsim demo`` on a fresh
    machine); that is also why no ``host`` is passed. A name taken by a built-in command or by
    another addon is refused with a warning.
    """


@hookspec
def register_cron_tasks(host: "Host") -> "list[CronTaskSpec]":
    """Register cron tasks. Return a list of :class:`~hostsim.plugins.types.CronTaskSpec`.

    Collected from every ACTIVE addon; task names are unique across the host.

    :param host: the host services.
    """


@hookspec
def admin_home_widgets(host: "Host") -> "list[AdminWidget]":
    """Add widgets to the admin dashboard (WHMCS ``AdminHomeWidgets``).

    Return a list of :class:`~hostsim.plugins.types.AdminWidget` (a title and chart data, or HTML
    of the addon's own). Collected from every ACTIVE addon whenever an admin opens the dashboard;
    the host draws each chart (inline SVG with a data table) and orders the widgets by ``order``.
    A failing addon's widgets are left out and logged.

    :param host: the host services.
    """


# --- Events: every active addon, lower priority first --------------------------------------


@hookspec
def client_area_primary_navbar(host: "Host", navbar: "MenuItem", client: "Client | None") -> None:
    """Change the client area's primary navbar (WHMCS ``ClientAreaPrimaryNavbar``).

    Modify ``navbar`` in place; the return value is ignored.

    :param host: the host services.
    :param navbar: the root menu item; its children are the top-level menus.
    :param client: the logged-in client, or ``None`` for a visitor.
    """


@hookspec
def client_area_secondary_navbar(host: "Host", navbar: "MenuItem", client: "Client | None") -> None:
    """Change the client area's secondary navbar (WHMCS ``ClientAreaSecondaryNavbar``).

    :param host: the host services.
    :param navbar: the root menu item.
    :param client: the logged-in client, or ``None``.
    """


@hookspec
def client_area_homepage_panels(host: "Host", panels: "MenuItem", client: "Client") -> None:
    """Add or change panels on the logged-in client's homepage (WHMCS ``ClientAreaHomepagePanels``).

    Each child of ``panels`` is a panel: label, icon, body HTML, footer HTML, order.

    :param host: the host services.
    :param panels: the root item holding the panels.
    :param client: the logged-in client.
    """


@hookspec
def admin_area_client_summary_page(host: "Host", client_id: int, admin_id: int) -> "str | None":
    """Add a panel to the admin client page (WHMCS ``AdminAreaClientSummaryPage``).

    Return the panel's HTML (placed as it is, after the host's own panels), or ``None`` for no
    panel. Forms in it post to the addon's blueprint with the ``csrf_token`` field
    (``hostsim.addon_api.web.csrf_token``); the blueprint's routes check the admin themselves
    (``hostsim.addon_api.web.current_admin_username``). An exception is logged and the page is
    shown without the panel.

    :param host: the host services.
    :param client_id: the client the page shows.
    :param admin_id: the logged-in admin looking at it.
    """


@hookspec
def pre_cron_job(host: "Host", ctx: "CronContext") -> None:
    """Run before the tasks of every cron invocation (WHMCS ``PreCronJob``).

    :param host: the host services.
    :param ctx: the invocation: the day it runs as of, verbosity, output, progress.
    """


@hookspec
def daily_cron_job(host: "Host", ctx: "CronContext") -> None:
    """Run at the end of the first cron invocation of each day (WHMCS ``DailyCronJob``).

    :param host: the host services.
    :param ctx: the invocation: the day it runs as of, verbosity, output, progress.
    """


@hookspec
def after_cron_job(host: "Host", ctx: "CronContext") -> None:
    """Run after every cron invocation, when its tasks are done (WHMCS ``AfterCronJob``).

    :param host: the host services.
    :param ctx: the invocation: the day it runs as of, verbosity, output, progress.
    """


@hookspec
def invoice_paid(host: "Host", invoice_id: int) -> None:
    """React to an invoice becoming Paid (WHMCS ``InvoicePaid``).

    Fired after the payment is committed and the receipt email is sent, never inside the
    transaction. Exceptions are logged and do not undo the payment.

    :param host: the host services.
    :param invoice_id: the invoice that is now Paid.
    """


@hookspec
def client_details_validation(host: "Host", client_id: int, changes: "dict[str, tuple[Any, Any]]") -> "dict[str, str] | None":
    """Check a client's change before the host commits it (WHMCS ``ClientDetailsValidation``).

    Return ``{field: message}`` to refuse the change (the host saves nothing and shows the first
    message on that field), or ``None`` to accept it. Called inside the host's transaction, with
    the client's row locked, so an addon that mirrors the change elsewhere (a remote panel) may
    apply it there now: a refusal there becomes the form's error, and nothing is half-saved.
    Other exceptions are logged and do not block the change.

    :param host: the host services.
    :param client_id: the client being changed.
    :param changes: field name -> (old value, new value), only for fields that change.
    """


@hookspec
def client_details_reverted(host: "Host", client_id: int, changes: "dict[str, tuple[Any, Any]]") -> None:
    """Undo what ``client_details_validation`` applied elsewhere for a change that was not saved.

    Every validation accepted the change, yet it did not commit (another addon refused it, or
    the host's transaction failed). Fired after the rollback, to every active addon, the accepting and the refusing alike (undoing
    a change never made must be harmless). Exceptions are logged.

    :param host: the host services.
    :param client_id: the client.
    :param changes: ``{field: (old, new)}``, as the validation received them; the client keeps ``old``.
    """


@hookspec
def client_status_change(host: "Host", client_id: int, old_status: "ClientStatus", new_status: "ClientStatus") -> None:
    """React to a client's status changing (WHMCS ``ClientClose`` and its reopening), after the commit.

    Fired once per change, after :func:`client_edit`, whoever made it (an admin closing or
    reopening the client, ``hostsim client close|reopen``, an addon through ``host.clients``).
    Closing is ``new_status`` Closed; reopening is ``old_status`` Closed. The change is already
    committed: exceptions are logged and do not undo it, so an addon that mirrors the status
    elsewhere repairs a failure later (its own daily pass) rather than blocking the host.

    :param host: the host services.
    :param client_id: the client whose status changed.
    :param old_status: the status before (:class:`~hostsim.addon_api.ClientStatus`).
    :param new_status: the status now.
    """


@hookspec
def client_edit(host: "Host", client_id: int, changes: "dict[str, tuple[Any, Any]]") -> None:
    """React to a client's details changing (WHMCS ``ClientEdit``), after the commit.

    :param host: the host services.
    :param client_id: the client changed.
    :param changes: field name -> (old value, new value), only for fields that changed.
    """
