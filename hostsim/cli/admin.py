"""``hostsim admin``: admin accounts."""

from __future__ import annotations

import click

from hostsim.cli.state import TEXT, CliError, print_once, read_secret, state


@click.group()
def admin() -> None:
    """Admin accounts."""


@admin.command("create")
@click.argument("username", type=TEXT)
@click.option("--email", required=True, type=TEXT, help="The admin's email address.")
@click.option("--role", default="Full Administrator", show_default=True, type=TEXT, help="Role group of the admin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (default: generate one).")
def create(username: str, email: str, role: str, password_stdin: bool) -> None:
    """Create admin USERNAME."""
    from hostsim.services.bootstrap import BootstrapError, create_admin

    host = state().host()
    password = read_secret("Password") if password_stdin else None
    try:
        password = create_admin(host, username, email, password, role=role)
    except BootstrapError as exc:
        field, _, why = str(exc).partition(":")
        option = {"username": "USERNAME", "email": "--email", "role": "--role",
                  "password": "--password-stdin"}.get(field.strip())
        raise CliError(f"{option}: {why.strip()}" if option else str(exc)) from exc
    click.echo(f"Created admin {username!r} with role {role!r}.")
    if not password_stdin:
        print_once(f"Password for {username!r}", password)


@admin.command("list")
def list_admins() -> None:
    """List admins and their roles."""
    from sqlalchemy import select

    from hostsim.db.models import Admin

    host = state().host()
    with host.sessions() as s:
        admins = list(s.scalars(select(Admin).order_by(Admin.username)))
    if not admins:
        click.echo("No admins.")
    for a in admins:
        click.echo(f"{a.username:<20} {a.email:<30} {a.role.name:<20} {'active' if a.is_active else 'disabled'}")
