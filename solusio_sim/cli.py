"""``solusio-sim`` command line."""

from __future__ import annotations

import ipaddress
import logging
import math
import secrets
from typing import Any

import click

from .app import SimApp
from .faults import Faults
from .logs import FORMAT_ENV, FORMATS, LEVEL_ENV, LEVELS, configure_logging
from .seed import bulk_generate, month_bounds, period_problem, seed_demo
from .server import build_http_server
from .state import SimState

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for "localhost" (any case) and loopback IP literals, with or without IPv6 brackets:
    127.0.0.0/8, ::1 and ::ffff:127.x.y.z (IPv4-mapped, which Python 3.11 does not count as
    loopback by itself). Any other name is not loopback: names are never resolved.

    There are two copies of this function, kept identical: ``hostsim.cli.serve.is_loopback`` and
    ``solusio_sim.cli.is_loopback`` (import-linter forbids the simulator to import the host, and
    the host the simulator). tests/loopback_cases.py holds the cases both are tested with.
    """
    if host.lower() == "localhost":
        return True
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


# --- option types: a bad value is a usage error naming the option, never a traceback ---------------


class Period(click.ParamType):
    """A month written ``YYYY-MM``, with a four-digit year from 2000 to 2199 (what the host takes)."""

    name = "period"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        problem = period_problem(value)
        if problem:
            self.fail(f"{value!r}: {problem}", param, ctx)
        return str(value).strip()


class Finite(click.FloatRange):
    """A number in a range, never NaN or infinite (which every range check lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


class Token(click.ParamType):
    """An API token as it travels in ``Authorization: Bearer ...``: printable ASCII, no spaces."""

    name = "token"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if not text or not all("!" <= c <= "~" for c in text):
            self.fail("expected a token of printable ASCII characters without spaces (unset it for a random one)",
                      param, ctx)
        return text


#: The largest billing user id: the host's client ids are INTEGER keys.
MAX_BILLING_ID = 2**31 - 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", envvar=LEVEL_ENV, default="WARNING", show_default=True,
              type=click.Choice(LEVELS, case_sensitive=False), help=f"Root log level (or env {LEVEL_ENV}).")
@click.option("--log-format", envvar=FORMAT_ENV, default="text", show_default=True,
              type=click.Choice(FORMATS, case_sensitive=False),
              help=f"text, or json: one JSON object per line (or env {FORMAT_ENV}).")
@click.pass_context
def main(ctx: click.Context, log_level: str, log_format: str) -> None:
    """A SolusIO REST API simulator."""
    # Applied by the command that runs (once, at its start), not here: ``--help`` or a usage
    # error must not reconfigure the logging of whoever invoked the CLI in-process.
    ctx.obj = (log_level, log_format)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless --allow-remote).")
@click.option("--port", default=8099, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port to listen on (0: any free port).")
@click.option("--allow-remote", is_flag=True, help="Allow binding a non-loopback address.")
@click.option("--seed", "seed_kind", type=click.Choice(["demo", "none"]), default="demo",
              show_default=True, help="Start with the demo limit groups and plans, or empty.")
@click.option("--bulk-users", type=click.IntRange(min=0), default=0, help="Generate N users (with --period).")
@click.option("--servers-per-user", type=click.IntRange(min=0), default=3, show_default=True,
              help="Servers of each generated user (with --bulk-users).")
@click.option("--period", type=Period(), metavar="YYYY-MM",
              help="Month of the generated server history (a year from 2000 to 2199).")
@click.option("--billing-user-id-start", type=click.IntRange(1, MAX_BILLING_ID), default=1, show_default=True,
              help="Billing user id of the first generated user (the host's client id).")
@click.option("--page-size", type=click.IntRange(min=1), default=15, show_default=True,
              help="Items per page of list responses.")
@click.option("--latency-ms", type=Finite(0, 600_000), default=0.0,
              help="Delay added to every response, in milliseconds (0 to 600000).")
@click.option("--error-rate", type=Finite(0, 1), default=0.0,
              help="Fraction of requests (0 to 1) answered with an error status.")
@click.option("--fault-seed", type=int, default=0, help="Seed of the fault randomness.")
@click.option("--admin-token", envvar="SOLUSIO_SIM_ADMIN_TOKEN", default=None, type=Token(),
              help="Admin API token (or env SOLUSIO_SIM_ADMIN_TOKEN); random when unset.")
@click.pass_obj
def serve(log_settings: tuple[str, str], host: str, port: int, allow_remote: bool, seed_kind: str, bulk_users: int,
          servers_per_user: int, period: str | None, billing_user_id_start: int,
          page_size: int, latency_ms: float, error_rate: float, fault_seed: int,
          admin_token: str | None) -> None:
    """Serve the simulator until interrupted."""
    if not allow_remote and not is_loopback(host):
        raise click.UsageError(f"refusing to bind {host}: not a loopback address "
                               "(use --allow-remote)")
    if bulk_users and not period:
        raise click.UsageError("--bulk-users needs --period YYYY-MM")
    if bulk_users and billing_user_id_start + bulk_users - 1 > MAX_BILLING_ID:
        raise click.BadParameter(f"the last generated user's billing id would pass {MAX_BILLING_ID}",
                                 param_hint="'--billing-user-id-start'")
    configure_logging(*log_settings)
    generated = admin_token is None
    token = admin_token or secrets.token_urlsafe(32)
    state = SimState(admin_token=token)
    if seed_kind == "demo":
        seed_demo(state)
    if bulk_users:
        start, end = month_bounds(period or "")
        info = bulk_generate(state, bulk_users, servers_per_user, start, end,
                             billing_user_id_start=billing_user_id_start)
        click.echo(f"generated {info['users']} users, {info['servers']} servers "
                   f"(user ids {info['first_user_id']}..{info['last_user_id']})")
    faults = Faults(seed=fault_seed)
    faults.configure(latency_ms=latency_ms, error_rate=error_rate)
    app = SimApp(state, page_size, faults)
    # "[::1]" is how a URL writes an IPv6 address; the socket takes it bare.
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        http = build_http_server(app, bare, port)
    except ValueError as exc:  # UnicodeError: a name no resolver takes (a label over 63 characters, not UTF-8)
        raise click.BadParameter(f"{host!r}: not a host name or address ({exc})", param_hint="'--host'") from None
    url = f"http://{f'[{bare}]' if ':' in bare else bare}:{http.server_address[1]}"
    log.info("serving the SolusIO simulator at %s", url)
    click.echo(f"SolusIO simulator at {url}  (API: {url}/api/v1/)")
    if generated:
        click.echo(f"admin token: {token}")
    else:
        click.echo("admin token: the one supplied (--admin-token / SOLUSIO_SIM_ADMIN_TOKEN)")
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.stopping.set()
        http.server_close()


if __name__ == "__main__":  # pragma: no cover
    main()
