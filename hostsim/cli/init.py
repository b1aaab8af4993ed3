"""``hostsim init``: create or upgrade the instance and its first admin."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from hostsim.cli.state import TEXT, CliError, print_once, read_secret, state


def initialise(admin_username: str, admin_email: str, password_stdin: bool) -> None:
    """Migrate, seed, upgrade active addons, and create the first admin when there is none."""
    from hostsim.db.models import Admin
    from hostsim.services.addon_lifecycle import LifecycleError
    from hostsim.services.bootstrap import BootstrapError, create_admin, init_instance

    st = state()
    host = st.host(initialised=False)
    click.echo(f"Instance folder: {host.config.home}")
    click.echo(f"Database: {st.url_for_display}")
    init_instance(host)
    try:
        host.lifecycle.upgrade_all_active()
    except LifecycleError as exc:
        click.echo(f"warning: {exc}", err=True)
    with host.sessions() as s:
        admins = s.scalar(select(func.count(Admin.id))) or 0
    if admins:
        click.echo(f"Schema up to date; {admins} admin(s) exist, none created.")
        return
    password = read_secret("Admin password") if password_stdin else None
    try:
        password = create_admin(host, admin_username, admin_email, password)
    except BootstrapError as exc:
        option = {"username": "--admin-username", "email": "--admin-email",
                  "password": "--admin-password-stdin"}.get(str(exc).split(":")[0], "admin")
        raise CliError(f"{option}: {str(exc).split(':', 1)[-1].strip()}") from exc
    click.echo(f"Created admin {admin_username!r} (Full Administrator).")
    if not password_stdin:
        print_once(f"Password for admin {admin_username!r}", password)


@click.command()
@click.option("--admin-username", default="admin", show_default=True, type=TEXT, help="Username of the first admin.")
@click.option("--admin-email", default="admin@example.com", show_default=True, type=TEXT,
              help="Email of the first admin.")
@click.option("--admin-password-stdin", is_flag=True,
              help="Read the first admin's password from stdin (default: generate one and print it once).")
def init(admin_username: str, admin_email: str, admin_password_stdin: bool) -> None:
    """Create or upgrade the instance (idempotent) and its first admin."""
    initialise(admin_username, admin_email, admin_password_stdin)
    click.echo("Ready. Start the web server with: hostsim serve")
