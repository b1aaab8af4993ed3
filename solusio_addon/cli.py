"""``hostsim solusio ...``: what an admin scripts, with the web forms' validation and messages.

    hostsim solusio connect --url https://solus.example.com --api-key-env SOLUSIO_KEY
    printf '%s' "$KEY" | hostsim solusio connect --url https://solus.example.com --api-key-stdin
    hostsim solusio status [--offline]
    hostsim solusio postpay show
    hostsim solusio postpay set --grace-days 14 --lock-days 7 --suspend-days 14
    hostsim solusio prices list
    hostsim solusio prices set USD=0.0010 EUR=0.0009

The API key is never taken from the command line (it would land in shell history and ``ps``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click
from sqlalchemy import func, select

from solusio_addon import pricing
from solusio_addon import settings as addon_settings
from solusio_addon.client_factory import client_from_settings
from solusio_addon.connection import connect, describe_error
from solusio_addon.db.models import BilledPeriod, Enrolment, PeriodOutcome
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.host import Host

ACTOR = "CLI"


class SolusioCliError(click.ClickException):
    """A refused command: one message on stderr, exit code 2, nothing saved."""

    exit_code = 2


def _errors(errors: dict[str, str]) -> SolusioCliError:
    return SolusioCliError("nothing was saved:\n  " + "\n  ".join(errors.values()))


def _read_key(env_var: str | None, from_stdin: bool) -> str:
    if env_var and from_stdin:
        raise SolusioCliError("give either --api-key-env or --api-key-stdin, not both")
    if env_var:
        if env_var not in os.environ:
            raise SolusioCliError(f"--api-key-env {env_var}: no such environment variable")
        return os.environ[env_var]
    if from_stdin:
        value = sys.stdin.read().strip()
        if not value:
            raise SolusioCliError("--api-key-stdin: nothing on standard input")
        return value
    return ""  # keep the stored key (changing only the URL or TLS option)


def build_cli(host: "Host") -> click.Group:
    @click.group(name="solusio")
    def solusio() -> None:
        """SolusIO post-pay billing: connection, post-pay settings, token prices."""

    @solusio.command("connect")
    @click.option("--url", required=True, help="SolusIO installation URL (the web interface's URL).")
    @click.option("--api-key-env", metavar="VAR", help="Read the API key from this environment variable.")
    @click.option("--api-key-stdin", is_flag=True, help="Read the API key from standard input.")
    @click.option("--tls", "tls_mode", type=click.Choice(["verify", "self-signed", "ca-bundle"]), default=None,
                  help="Certificate check (default: keep the saved one, or verify).")
    @click.option("--ca-bundle", default="", help="CA bundle (PEM) path, with --tls ca-bundle.")
    @click.option("--login-url-template", default="", help="SolusIO login URL, e.g. '{url}/auth/by-token?token={token}'.")
    def connect_cmd(url: str, api_key_env: str | None, api_key_stdin: bool, tls_mode: str | None, ca_bundle: str,
                    login_url_template: str) -> None:
        """Test the connection; on success save URL and key and configure the billing integration.

        Without --api-key-env/--api-key-stdin the saved key is used again."""
        key = _read_key(api_key_env, api_key_stdin)
        stored = addon_settings.load_connection(host)
        mode = tls_mode.replace("-", "_") if tls_mode else stored.tls_mode
        result = connect(host, url, key, tls_mode=mode, ca_bundle=ca_bundle or stored.ca_bundle,
                         login_url_template=login_url_template or stored.login_url_template, actor=ACTOR)
        if not result.ok:
            raise SolusioCliError(result.message)
        click.echo(result.message)

    @solusio.command("status")
    @click.option("--offline", is_flag=True, help="Do not ask SolusIO; show only what is stored.")
    def status(offline: bool) -> None:
        """Connection, billing integration, post-pay settings and counts."""
        conn = addon_settings.load_connection(host)
        click.echo(f"connected:            {'yes' if conn.connected else 'no'}")
        if conn.connected:
            click.echo(f"url:                  {conn.url}")
            click.echo(f"certificate check:    {conn.tls_mode}")
            click.echo(f"connected as:         {conn.connected_as or '-'} (at {conn.connected_at or '-'})")
            if not offline:
                try:
                    with client_from_settings(host, interactive=True) as client:
                        check = client.test_connection()
                    click.echo(f"solusio answers:      yes, as {check.user.email}")
                except SolusioError as exc:
                    click.echo(f"solusio answers:      no: {describe_error(exc)}")
        click.echo(f"billing integration:  {'configured: ' + conn.integration_url if conn.integration_configured else 'not configured'}")
        pp = addon_settings.load_postpay(host)
        click.echo(f"limit group:          {pp.limit_group_name or '-'}"
                   f"{f' (#{pp.limit_group_id})' if pp.limit_group_id else ''}")
        click.echo(f"grace/lock/suspend:   {pp.grace_days}/{pp.lock_days}/{pp.suspend_days} days")
        rows = pricing.active_prices(host)
        click.echo("token prices:         " + ", ".join(f"{r.code}={r.shown or 'not set'}" for r in rows))
        with host.sessions() as s:
            enrolled = s.scalar(select(func.count()).select_from(Enrolment)) or 0
            invoiced = s.scalar(select(func.count()).select_from(BilledPeriod)
                                .where(BilledPeriod.outcome == PeriodOutcome.INVOICED)) or 0
        click.echo(f"enrolled users:       {enrolled}")
        click.echo(f"invoiced months:      {invoiced}")
        warning = pricing.missing_price_warning(pricing.unpriced_codes(rows))
        if warning:
            click.echo(f"warning: {warning}", err=True)

    @solusio.group("postpay")
    def postpay() -> None:
        """Post-Pay settings."""

    @postpay.command("show")
    def postpay_show() -> None:
        pp = addon_settings.load_postpay(host)
        for key, value in pp.as_form().items():
            click.echo(f"{key}: {value}")
        click.echo(f"limit_group_name: {pp.limit_group_name}")

    @postpay.command("set")
    @click.option("--limit-group", "limit_group_id", help="SolusIO limit group id ('' for none).")
    @click.option("--terms-url", help="Post-Pay terms & conditions URL ('' for none).")
    @click.option("--grace-days", help="Invoicing grace period (days).")
    @click.option("--lock-days", help="Lock overdue users after N days from the due date.")
    @click.option("--suspend-days", help="Suspend overdue users after N days from the due date.")
    @click.option("--lookback-months", help="Months the billing run looks back for uninvoiced usage.")
    def postpay_set(**options: str | None) -> None:
        """Change the given post-pay settings; the others keep their value."""
        submitted = {k: v for k, v in options.items() if v is not None}
        if not submitted:
            raise SolusioCliError("give at least one setting to change (see --help)")
        current = addon_settings.load_postpay(host)
        groups = None
        if "limit_group_id" in submitted and submitted["limit_group_id"].strip():
            try:
                with client_from_settings(host, interactive=True) as client:
                    groups = list(client.limit_groups())
            except SolusioError as exc:
                click.echo(f"warning: SolusIO's limit groups cannot be listed: {describe_error(exc)}", err=True)
            except RuntimeError as exc:  # not connected
                click.echo(f"warning: {exc}", err=True)
        new, errors = addon_settings.validate_postpay(submitted, current=current, limit_groups=groups)
        if new is None:
            raise _errors(errors)
        changed = addon_settings.save_postpay(host, new, actor=ACTOR)
        click.echo("Post-Pay settings saved" + ("" if changed else " (nothing changed)") + ".")

    @solusio.group("prices")
    def prices() -> None:
        """Post-Pay token prices (price of one token per active currency)."""

    @prices.command("list")
    def prices_list() -> None:
        rows = pricing.active_prices(host)
        for r in rows:
            click.echo(f"{r.code}  {r.shown or 'not set'}")
        warning = pricing.missing_price_warning(pricing.unpriced_codes(rows))
        if warning:
            click.echo(f"warning: {warning}", err=True)

    @prices.command("set")
    @click.argument("assignments", nargs=-1, required=True, metavar="CODE=PRICE...")
    def prices_set(assignments: tuple[str, ...]) -> None:
        """Set prices, e.g. USD=0.0010 EUR=0.0009. All or nothing."""
        submitted: dict[str, str] = {}
        for item in assignments:
            code, sep, value = item.partition("=")
            if not sep or not code.strip():
                raise SolusioCliError(f"{item!r}: write CODE=PRICE, e.g. USD=0.0010; nothing was saved")
            submitted[code.strip().upper()] = value
        rows = pricing.active_prices(host)
        parsed, errors = pricing.validate_prices(submitted, rows, require_all=False)
        if errors:
            raise _errors(errors)
        try:
            changed = pricing.save_prices(host, parsed, actor=ACTOR)
        except pricing.PricingError as exc:
            raise _errors(exc.errors) from exc
        click.echo(f"Token prices saved{': ' + ', '.join(changed) + ' changed' if changed else ' (nothing changed)'}.")
        warning = pricing.missing_price_warning(pricing.unpriced_codes(pricing.active_prices(host)))
        if warning:
            click.echo(f"warning: {warning}", err=True)

    return solusio
