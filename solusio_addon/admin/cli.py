"""``hostsim solusio ...``: what an admin scripts, with the web forms' validation and messages.

    hostsim solusio connect --url https://solus.example.com --api-key-env SOLUSIO_KEY
    printf '%s' "$KEY" | hostsim solusio connect --url https://solus.example.com --api-key-stdin
    hostsim solusio connect --url https://solus.example.com --proxy http://proxy.example.com:3128
    hostsim solusio status [--offline]
    hostsim solusio postpay show
    hostsim solusio postpay set --grace-days 14 --lock-days 7 --suspend-days 14
    hostsim solusio prices list
    hostsim solusio prices set USD=0.0010 EUR=0.0009
    hostsim solusio invoice --period 2026-07 [--client 12] [--dry-run] [-v]
    hostsim solusio exempt 12 --on|--off
    hostsim solusio enrolments [--status locked]
    hostsim solusio reconcile [--fix] [--client 12] [-v]

The API key is never taken from the command line (it would land in shell history and ``ps``).
A proxy URL given to ``--proxy`` does land there, password included: give such a URL once, and
afterwards leave --proxy out (the saved proxy is kept) or pass the masked URL ``status`` prints
(its mask stands for the saved password).
"""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

import click
from sqlalchemy import func, select

from hostsim.addon_api import RecordId
from solusio_addon.admin import pricing, urls
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import client_from_settings
from solusio_addon.admin.connection import connect, describe_error
from solusio_addon.admin.warning_settings import load_warnings, save_warnings, validate_warnings
from solusio_addon.billing import status as billing_status
from solusio_addon.db.models import BilledPeriod, Enrolment, PeriodOutcome
from solusio_addon.solusio_api import SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host

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
        if not env_var.isprintable() or "=" in env_var:
            raise SolusioCliError(f"--api-key-env {env_var!r}: not an environment variable name")
        if env_var not in os.environ:
            raise SolusioCliError(f"--api-key-env {env_var}: no such environment variable")
        return os.environ[env_var]
    if from_stdin:
        try:
            value = sys.stdin.read().strip()
        except UnicodeDecodeError:
            raise SolusioCliError("--api-key-stdin: standard input is not UTF-8 text") from None
        if not value:
            raise SolusioCliError("--api-key-stdin: nothing on standard input")
        return value
    return ""  # keep the stored key (changing only the URL or TLS option)


def _parse_proxy(value: str | None, stored: addon_settings.ConnectionSettings) -> tuple[str | None, str | None]:
    """``--proxy`` as the connect form's (proxy_mode, proxy_url); (None, None) keeps the saved setting.
    A bad URL is a usage error naming --proxy, with the form's message."""
    if value is None:
        return None, None
    text = value.strip()
    if text in ("environment", "direct"):
        return text, ""
    _url, problem = urls.resolve_proxy_url(text, stored.proxy_url)
    if problem:
        raise click.BadParameter(f"{problem} (or give environment or direct)")
    return "custom", text


def _proxy_status(conn: addon_settings.ConnectionSettings) -> str:
    if conn.proxy_mode == "custom":
        return f"custom: {conn.proxy_shown}"
    if conn.proxy_mode == "direct":
        return "direct (no proxy, whatever the environment says)"
    return "environment (HTTPS_PROXY/HTTP_PROXY/NO_PROXY of this host)"


def build_cli(host: "Host") -> click.Group:
    @click.group(name="solusio")
    def solusio() -> None:
        """SolusIO post-pay billing: connection, post-pay settings, token prices."""

    def proxy_option(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str | None, str | None]:
        return _parse_proxy(value, addon_settings.load_connection(host))

    @solusio.command("connect")
    @click.option("--url", required=True, help="SolusIO installation URL (the web interface's URL).")
    @click.option("--api-key-env", metavar="VAR", help="Read the API key from this environment variable.")
    @click.option("--api-key-stdin", is_flag=True, help="Read the API key from standard input.")
    @click.option("--tls", "tls_mode", type=click.Choice(["verify", "self-signed", "ca-bundle"]), default=None,
                  help="Certificate check (default: keep the saved one, or verify).")
    @click.option("--ca-bundle", default="", help="CA bundle (PEM) path, with --tls ca-bundle.")
    @click.option("--login-url-template", default="", help="SolusIO login URL, e.g. '{url}/auth/by-token?token={token}'.")
    @click.option("--proxy", "proxy", metavar="environment|direct|URL", default=None, callback=proxy_option,
                  help="How to reach SolusIO: 'environment' (HTTPS_PROXY/HTTP_PROXY/NO_PROXY of this host), 'direct' "
                       "(no proxy), or a proxy URL such as http://proxy.example.com:3128 (default: keep the saved one).")
    def connect_cmd(url: str, api_key_env: str | None, api_key_stdin: bool, tls_mode: str | None, ca_bundle: str,
                    login_url_template: str, proxy: tuple[str | None, str | None]) -> None:
        """Test the connection; on success save URL and key and configure the billing integration.

        Without --api-key-env/--api-key-stdin the saved key is used again; without --proxy the
        saved proxy setting."""
        stored = addon_settings.load_connection(host)
        proxy_mode, proxy_url = proxy
        key = _read_key(api_key_env, api_key_stdin)
        mode = tls_mode.replace("-", "_") if tls_mode else stored.tls_mode
        result = connect(host, url, key, tls_mode=mode, ca_bundle=ca_bundle or stored.ca_bundle,
                         login_url_template=login_url_template or stored.login_url_template,
                         proxy_mode=proxy_mode, proxy_url=proxy_url, actor=ACTOR)
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
            click.echo(f"proxy:                {_proxy_status(conn)}")
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
        """The post-pay settings and the lock/suspend warning settings, one per line."""
        pp = addon_settings.load_postpay(host)
        for key, value in {**pp.as_form(), **load_warnings(host).as_form()}.items():
            click.echo(f"{key}: {value}")
        click.echo(f"limit_group_name: {pp.limit_group_name}")

    @postpay.command("set")
    @click.option("--limit-group", "limit_group_id", help="SolusIO limit group id ('' for none).")
    @click.option("--terms-url", help="Post-Pay terms & conditions URL ('' for none).")
    @click.option("--grace-days", help="Invoicing grace period (days).")
    @click.option("--lock-days", help="Lock overdue users after N days from the due date.")
    @click.option("--suspend-days", help="Suspend overdue users after N days from the due date.")
    @click.option("--lookback-months", help="Months the billing run looks back for uninvoiced usage.")
    @click.option("--lock-warning-days", help="Email the client N days before the lock (0: never).")
    @click.option("--suspend-warning-days", help="Email the client N days before the suspension (0: never).")
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
        warnings, warning_errors = validate_warnings(submitted, current=load_warnings(host))
        errors.update(warning_errors)
        if new is None or warnings is None:
            raise _errors(errors)
        changed = addon_settings.save_postpay(host, new, actor=ACTOR)
        changed += save_warnings(host, warnings, actor=ACTOR)
        click.echo("Post-Pay settings saved" + ("" if changed else " (nothing changed)") + ".")

    @solusio.group("prices")
    def prices() -> None:
        """Post-Pay token prices (price of one token per active currency)."""

    @prices.command("list")
    def prices_list() -> None:
        """The token price of every active currency ("not set" where none is)."""
        rows = pricing.active_prices(host)
        for r in rows:
            click.echo(f"{r.code}  {r.shown or 'not set'}")
        warning = pricing.missing_price_warning(pricing.unpriced_codes(rows))
        if warning:
            click.echo(f"warning: {warning}", err=True)

    @prices.command("set")
    @click.argument("assignments", nargs=-1, required=True, metavar="CODE=PRICE...")
    def prices_set(assignments: tuple[str, ...]) -> None:
        """Set prices as CODE=PRICE pairs, e.g. USD=0.0010 EUR=0.0009. All or nothing."""
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

    _billing_commands(host, solusio)
    from solusio_addon.admin.cli_reconcile import add_reconcile
    add_reconcile(host, solusio, SolusioCliError)
    return solusio


def _billing_commands(host: "Host", solusio: click.Group) -> None:
    @solusio.command("invoice")
    @click.option("--period", "period_text", required=True, metavar="YYYY-MM",
                  help="The month to invoice (a year from 2000 to 2199).")
    @click.option("--client", "only_client", type=RecordId("a client id"), metavar="ID", help="Only this client.")
    @click.option("--dry-run", is_flag=True, help="Write nothing; print what would be invoiced.")
    @click.option("-v", "--verbose", "verbosity", count=True, help="Say what happens to each client.")
    def invoice(period_text: str, only_client: int | None, dry_run: bool, verbosity: int) -> None:
        """Invoice one complete month now (what the daily run would do), or preview it.

        Clients already billed for the month are left alone: re-running never bills twice.
        Today is the host's date (HOSTSIM_TODAY moves it)."""
        from solusio_addon.billing.automation import Automation
        from solusio_addon.billing.hooks import policy_from_settings
        from solusio_addon.billing.periods import Period, period_problem

        problem = period_problem(period_text)
        if problem:
            raise SolusioCliError(f"--period {period_text!r}: {problem}")
        period = Period.parse(period_text)
        today = host.clock.today()
        if period.end > today:
            raise SolusioCliError(f"--period {period.label}: the month is not complete yet (today is "
                                  f"{today.isoformat()}); it can be invoiced from {period.end.isoformat()}")
        if only_client is not None:
            _check_enrolled(host, only_client)
        if not addon_settings.load_connection(host).connected:
            raise SolusioCliError("SolusIO is not connected: run 'hostsim solusio connect' first")

        def say(level: int, message: str) -> None:
            if level <= 3 and verbosity >= 1 and not (dry_run and level == 1):
                click.echo(message)

        before = _billed_ids(host, period.start, only_client)
        automation = Automation(host, client_from_settings(host), policy_from_settings(host), say=say)
        planned = automation.invoice_due(today, only_client=only_client, periods=[period], dry_run=dry_run)
        report = automation.report
        if dry_run:
            _print_plan(host, period.label, planned)
        else:
            _print_created(host, sorted(_billed_ids(host, period.start, only_client) - before))
            click.echo(f"{period.label}: invoiced {report.invoiced}, no usage {report.no_usage}, "
                       f"already billed {report.already_billed}, failed {report.failed}")
        if not planned and not report.requests and not report.failed:
            who = f"client #{only_client}" if only_client is not None else "every enrolled client"
            click.echo(f"nothing to invoice for {period.label}: {who} is already billed for it "
                       "(or was not enrolled before the month ended)")
        for line in report.failures:
            click.echo(f"failed: {line}", err=True)
        if report.failed:
            raise SystemExit(1)

    @solusio.command("exempt")
    @click.argument("client_id", metavar="CLIENT_ID", type=RecordId("a client id"))
    @click.option("--on/--off", "on", default=None, help="Exempt from automatic lock/suspend, or not.")
    def exempt(client_id: int, on: bool | None) -> None:
        """Exempt client CLIENT_ID from automatic lock/suspend (--on) or not (--off); logged.

        The next SolusioAutomation run applies it."""
        if on is None:
            raise SolusioCliError("give --on or --off")
        try:
            changed = billing_status.set_exempt(host, client_id, on, actor=ACTOR)
        except billing_status.NotEnrolled as exc:
            raise SolusioCliError(f"CLIENT_ID {client_id}: {exc}") from None
        state = "exempt from" if on else "not exempt from"
        click.echo(f"client #{client_id} is {state} automatic lock/suspend" + ("" if changed else " (unchanged)"))

    @solusio.command("enrolments")
    @click.option("--status", "status_text", metavar="STATUS", help="pending, active, locked, suspended or closed.")
    def enrolments(status_text: str | None) -> None:
        """Enrolled clients: SolusIO user, status and why, exempt from lock/suspend."""
        try:
            wanted = billing_status.parse_status(status_text)
        except ValueError as exc:
            raise SolusioCliError(f"--{exc}") from None
        found = billing_status.enrolments(host, status=wanted, per_page=None)
        if not found.items:
            click.echo("no enrolment" + (f" with status {wanted.value}" if wanted else ""))
            return
        width = max(5, *(len(r.email) for r in found.items))
        click.echo(f"{'client':>7}  {'email':<{width}}  {'solusio':>7}  {'status':<9}  {'exempt':<6}  why")
        for r in found.items:
            user = str(r.solusio_user_id) if r.solusio_user_id is not None else "-"
            click.echo(f"{r.client_id:>7}  {r.email:<{width}}  {user:>7}  {r.status.value:<9}  "
                       f"{'yes' if r.exempt else 'no':<6}  {r.why or '-'}")


def _check_enrolled(host: "Host", client_id: int) -> None:
    with host.sessions() as s:
        found = s.scalars(select(Enrolment.id).where(Enrolment.client_id == client_id)).first()
    if found is None:
        raise SolusioCliError(f"--client {client_id}: no client with this id is enrolled in SolusIO post-pay")


def _billed_ids(host: "Host", period_start: object, only_client: int | None) -> set[int]:
    query = select(BilledPeriod.id).where(BilledPeriod.period_start == period_start,
                                          BilledPeriod.invoice_id.is_not(None))
    if only_client is not None:
        query = query.where(BilledPeriod.client_id == only_client)
    with host.sessions() as s:
        return set(s.scalars(query))


def _print_created(host: "Host", billed_ids: list[int]) -> None:
    from hostsim.addon_api import Client, Invoice, format_money

    if not billed_ids:
        return
    with host.sessions() as s:
        rows = s.execute(select(BilledPeriod.client_id, Client.email, BilledPeriod.period_start, Invoice.id,
                                Invoice.total, BilledPeriod.currency_code)
                         .join(Invoice, Invoice.id == BilledPeriod.invoice_id)
                         .join(Client, Client.id == BilledPeriod.client_id)
                         .where(BilledPeriod.id.in_(billed_ids)).order_by(BilledPeriod.client_id)).all()
    for client_id, email, start, invoice_id, total, code in rows:
        click.echo(f"invoice #{invoice_id}: client #{client_id} ({email}) {start.strftime('%Y-%m')}, "
                   f"{format_money(total, code)}")


def _print_plan(host: "Host", label: str, planned: list) -> None:  # type: ignore[type-arg]
    from hostsim.addon_api import Client, format_money

    ids = [job.client_id for job, _lines, _code in planned]
    with host.sessions() as s:
        emails = dict(s.execute(select(Client.id, Client.email).where(Client.id.in_(ids))).all()) if ids else {}
    for job, lines, code in sorted(planned, key=lambda p: p[0].client_id):
        who = f"client #{job.client_id} ({emails.get(job.client_id, '?')}) {job.period.label}"
        if not lines:
            click.echo(f"{who}: no usage, no invoice")
            continue
        click.echo(f"{who}:")
        for line in lines:
            click.echo(f"  {line.description}: {format_money(line.amount, code)}")
        total = sum((line.amount for line in lines), Decimal("0"))
        click.echo(f"  total: {format_money(total, code)}")
    click.echo(f"dry run for {label}: {sum(1 for _j, lines, _c in planned if lines)} invoice(s) would be created; "
               "nothing was written")
