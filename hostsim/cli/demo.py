"""``hostsim demo``: an instance to try the host out (to be replaced by a fuller demo)."""

from __future__ import annotations

import click

from hostsim.cli.init import initialise
from hostsim.cli.state import state


@click.command()
def demo() -> None:
    """Initialise an instance here (or in --home) and tell how to open it."""
    initialise("admin", "admin@example.com", password_stdin=False)
    home = state().config.home
    click.echo("")
    click.echo("Start the web server:")
    click.echo(f"  hostsim --home {home} serve")
    click.echo("Then open the admin area at http://127.0.0.1:8080/admin/ (log in as 'admin')")
    click.echo("and the client area at http://127.0.0.1:8080/")
