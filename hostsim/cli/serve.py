"""``hostsim serve``: the web application under waitress."""

from __future__ import annotations

import ipaddress

import click

from hostsim.cli.state import CliError, state


def is_loopback(host: str) -> bool:
    """True for "localhost" and loopback addresses (127.0.0.0/8, ::1, and ::ffff:127.x.y.z,
    which Python 3.11 does not count as loopback by itself); any other name is not, unresolved."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


@click.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Worker threads.")
@click.option("--public", is_flag=True, help="Allow listening on a non-loopback address.")
def serve(bind: str, port: int, threads: int, public: bool) -> None:
    """Serve the admin and client areas."""
    if not is_loopback(bind) and not public:
        raise CliError(f"--host {bind}: not a loopback address; add --public to listen on it "
                       "(put TLS in front of it)")
    host = state().host()
    import waitress  # type: ignore[import-untyped]

    from hostsim.web import create_app

    app = create_app(host)
    shown = f"[{bind}]" if ":" in bind else bind
    click.echo(f"Admin area:  http://{shown}:{port}/admin/")
    click.echo(f"Client area: http://{shown}:{port}/")
    if not is_loopback(bind):
        click.echo(f"warning: listening on {bind}, reachable from other machines", err=True)
    waitress.serve(app, host=bind, port=port, threads=threads)
