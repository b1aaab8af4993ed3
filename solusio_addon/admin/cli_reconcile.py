"""``hostsim solusio reconcile [--fix] [--client N] [-v]``: where the host and SolusIO disagree.

Without ``--fix`` nothing is changed in SolusIO: every drift is listed (and stored for the
Billing tab's Consistency section). With ``--fix`` the safe kinds are repaired as the daily
pass does (status, limit group, the billing id of a user the addon created), each repair logged.
Exit status 1 while drift remains (reported, or a repair that failed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hostsim.addon_api import RecordId
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import client_from_settings
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host


def add_reconcile(host: "Host", solusio: click.Group, error: type[click.ClickException]) -> None:
    @solusio.command("reconcile")
    @click.option("--fix", is_flag=True, help="Repair the safe kinds (status, limit group, our users' billing id).")
    @click.option("--client", "only_client", type=RecordId("a client id"), metavar="ID",
                  help="Only this client's enrolment (every user page is still read).")
    @click.option("-v", "--verbose", "verbosity", count=True, help="-v pages, -vv each repair.")
    def reconcile(fix: bool, only_client: int | None, verbosity: int) -> None:
        """Compare every enrolment with its SolusIO user (email, status, billing_user_id, limit
        group, users deleted in SolusIO) and list SolusIO users whose billing_user_id names no
        enrolled client. Costs one request per page of users plus one per repair."""
        from solusio_addon.billing.hooks import policy_from_settings
        from solusio_addon.billing.reconcile import Reconcile

        if not addon_settings.load_connection(host).connected:
            raise error("SolusIO is not connected: run 'hostsim solusio connect' first")

        def say(level: int, message: str) -> None:
            if verbosity >= level - 1 and level >= 2:
                click.echo(message)

        try:
            with client_from_settings(host) as api:
                result = Reconcile(host, api, policy_from_settings(host), say=say).run(
                    host.clock.today(), fix=fix, only_client=only_client)
        except SolusioError as exc:
            raise error(f"SolusIO failed: {exc}; nothing was repaired after that point") from None
        for line in result.summary_lines():
            click.echo(line)
        if only_client is not None and not result.enrolments:
            click.echo(f"client #{only_client} has no enrolment with a SolusIO user: only users naming it were "
                       "checked")
        if result.reported or result.failed:
            raise SystemExit(1)
