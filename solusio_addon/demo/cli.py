"""``hostsim demo``: the SolusIO post-pay story, end to end, on a fresh instance in a folder.

The story itself is in :mod:`solusio_addon.demo.story`, the folder rules in
:mod:`solusio_addon.demo.home`. Here: the options, the order of the checks (the folder and the
port are checked before an earlier demo is deleted), the admin login (shown once), and ``--serve``.
"""

from __future__ import annotations

import time

import click
from click.core import ParameterSource

from solusio_addon.demo.home import DEFAULT_HOME


class UsageError(click.ClickException):
    """A refusal that changed nothing: one line on stderr, exit code 2 (as the host's commands)."""

    exit_code = 2


def _global_home(ctx: click.Context) -> str | None:
    """The group's ``--home`` when typed on the command line (not from HOSTSIM_HOME)."""
    parent = ctx.parent
    if parent is None or parent.get_parameter_source("home") is not ParameterSource.COMMANDLINE:
        return None
    return parent.params.get("home")


def _show_once(label: str, secret: str) -> None:
    click.echo(f"{label} (shown only once, store it now): {secret}")


@click.command()
@click.option("--home", "demo_home", metavar="PATH",
              help=f"Folder of the demo instance. Default: the global --home, else ./{DEFAULT_HOME}")
@click.option("--reset", is_flag=True,
              help="Delete an earlier demo in that folder first (only ever a folder the demo made).")
@click.option("--serve", is_flag=True,
              help="Afterwards keep the web UI and the SolusIO simulator running until Ctrl-C.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), show_default="a free port",
              help="Port of the host's web UI on 127.0.0.1.")
@click.option("-v", "--verbose", "verbosity", count=True,
              help="Show progress and what the cron task says (-vv, -vvv: more of it).")
@click.pass_context
def demo(ctx: click.Context, demo_home: str | None, reset: bool, serve: bool, port: int, verbosity: int) -> None:
    """Tell the SolusIO post-pay story on a fresh SQLite instance, in under a minute.

    Starts the SolusIO simulator and the host's web server on loopback, activates and connects
    the addon, prices USD and EUR, signs three visitors up through the landing page and the
    emailed link, runs servers during July 2026, invoices July on 1 August through the cron
    task, locks and suspends the client who does not pay, and reactivates it on payment.
    """
    from hostsim.addon_api.instance import PortUnavailable
    from solusio_addon.demo.home import FolderError, check_home, choose_home, prepare_home
    from solusio_addon.demo.scenario import CLIENT_PASSWORD, DemoError
    from solusio_addon.demo.servers import bind_web
    from solusio_addon.demo.story import Demo

    home = choose_home(demo_home, _global_home(ctx))
    try:
        # Whatever can refuse is checked before --reset deletes anything; the port stays ours.
        check_home(home, reset=reset)
        web = bind_web(port)
    except FolderError as exc:
        raise UsageError(str(exc)) from exc
    except PortUnavailable as exc:
        raise UsageError(f"--port {port}: {exc}; nothing was changed") from exc
    story = Demo(home, web=web, verbosity=verbosity)
    try:
        try:
            prepare_home(home, reset=reset)
        except FolderError as exc:
            raise UsageError(str(exc)) from exc
        click.echo(f"hostsim demo in {home}")
        try:
            result = story.run()
        except DemoError as exc:
            raise click.ClickException(f"the demo stopped: {exc} (the folder is kept; "
                                       "'hostsim demo --reset' starts again)") from exc
        click.echo("")
        if not serve:
            click.echo(f"The web UI and the simulator stopped with the demo. To browse the instance: "
                       f"hostsim --home {home} serve")
            click.echo(f"Admin area: /admin/ as user {result.admin_username!r}")
            _show_once(f"Password for admin {result.admin_username!r}", result.admin_password)
            click.echo("To keep the UI and the simulator running: hostsim demo --reset --serve")
            return
        click.echo("== Serving the demo (Ctrl-C to stop)")
        click.echo(f"  Admin area:   {result.web_url}/admin/")
        _show_once(f"  Admin login:  user {result.admin_username!r}, password", result.admin_password)
        click.echo(f"  Client area:  {result.web_url}/   (Cloud Hosting: {result.web_url}/index.php?m=solusio)")
        for client in result.clients:
            p = client.persona
            click.echo(f"    {p.email:<20} password {CLIENT_PASSWORD}  ({p.first_name} {p.last_name}, "
                       f"{client.currency})")
        click.echo(f"  SolusIO simulator: {result.sim_url}/  (API {result.sim_url}/api/v1/; "
                   "'Log in to SolusIO' in the client area signs you in there)")
        click.echo("  The host's and the simulator's clocks stay on the story's last day.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("\nStopped.")
    finally:
        story.close()
