"""``hostsim serve``: the web application under waitress.

The address is tried before anything is printed: a port in use is a one-line error naming it
(exit 2, as ``hostsim demo`` says it), and the URLs appear only once listening works.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

import click

from hostsim.cli.state import CliError, state


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


def check_listen(bind: str, port: int) -> None:
    """Bind every address waitress would listen on for ``bind``:``port`` and let go at once
    (with SO_REUSEADDR, as waitress binds); CliError naming the option when one cannot be had."""
    from waitress.adjustments import Adjustments  # type: ignore[import-untyped]

    # The resolver stops at a NUL ("127.0.0.1\x00..." would listen on 127.0.0.1): no control
    # characters, spaces or bytes that are not UTF-8 in an address.
    if not bind or not bind.isprintable() or any(c.isspace() for c in bind):
        raise CliError(f"--host {bind!r}: not an address or host name")
    try:
        listen = Adjustments(host=bind, port=port).listen
    except ValueError:
        raise CliError(f"--host {bind}: not an address or host name this machine can listen on") from None
    for family, socktype, proto, sockaddr in listen:
        try:
            with socket.socket(family, socktype, proto) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(sockaddr)
        except OSError as exc:
            where = f"[{sockaddr[0]}]:{port}" if family == socket.AF_INET6 else f"{sockaddr[0]}:{port}"
            if exc.errno == errno.EADDRINUSE:
                raise CliError(f"--port {port}: port {port} is in use on {where}: stop what listens there "
                               "or choose another --port") from None
            if exc.errno == errno.EACCES:
                raise CliError(f"--port {port}: not allowed to listen on {where} (ports below 1024 need "
                               "privileges): choose another --port") from None
            raise CliError(f"--host {bind}: cannot listen on {where}: {exc.strerror or exc}") from None


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
    check_listen(bind, port)
    shown = f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind
    click.echo(f"Admin area:  http://{shown}:{port}/admin/")
    click.echo(f"Client area: http://{shown}:{port}/")
    if not is_loopback(bind):
        click.echo(f"warning: listening on {bind}, reachable from other machines", err=True)
    try:
        waitress.serve(app, host=bind, port=port, threads=threads)
    except OSError as exc:  # taken between the check and now
        raise CliError(f"--port {port}: cannot listen on {bind}:{port}: {exc.strerror or exc}") from None
