"""``hostsim serve``: the web application under waitress.

The address is tried before anything is printed: a port in use is a one-line error naming it
(exit 2, as ``hostsim demo`` says it), and the URLs appear only once listening works.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from typing import Any, Callable

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
    for sock in bind_listen(bind, port, listen=False):
        sock.close()


def bind_listen(bind: str, port: int, *, listen: bool = True, backlog: int = 1024) -> list[socket.socket]:
    """Sockets bound to every address ``bind``:``port`` resolves to (as waitress would bind them),
    listening when ``listen``; CliError naming the option when one cannot be had."""
    from waitress.adjustments import Adjustments  # type: ignore[import-untyped]

    # The resolver stops at a NUL ("127.0.0.1\x00..." would listen on 127.0.0.1): no control
    # characters, spaces or bytes that are not UTF-8 in an address.
    if not bind or not bind.isprintable() or any(c.isspace() for c in bind):
        raise CliError(f"--host {bind!r}: not an address or host name")
    try:
        addresses = Adjustments(host=bind, port=port).listen
    except ValueError:
        raise CliError(f"--host {bind}: not an address or host name this machine can listen on") from None
    sockets: list[socket.socket] = []
    try:
        for family, socktype, proto, sockaddr in addresses:
            sock = socket.socket(family, socktype, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as waitress does: [::] is not also 0.0.0.0
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(sockaddr)
                if listen:
                    sock.listen(backlog)
            except OSError as exc:
                raise _listen_error(bind, port, family, sockaddr, exc) from None
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _listen_error(bind: str, port: int, family: int, sockaddr: Any, exc: OSError) -> CliError:
    where = f"[{sockaddr[0]}]:{port}" if family == socket.AF_INET6 else f"{sockaddr[0]}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return CliError(f"--port {port}: port {port} is in use on {where}: stop what listens there "
                        "or choose another --port")
    if exc.errno == errno.EACCES:
        return CliError(f"--port {port}: not allowed to listen on {where} (ports below 1024 need "
                        "privileges): choose another --port")
    return CliError(f"--host {bind}: cannot listen on {where}: {exc.strerror or exc}")


#: More web processes than this is a typing slip, not a plan (each holds its own connections).
MAX_PROCESSES = 64


@click.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads (of each web process).")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, MAX_PROCESSES),
              help="Web processes sharing the port: one runs Python on one core at a time, so give "
                   "about one per core. A process that dies is replaced.")
@click.option("--public", is_flag=True, help="Allow listening on a non-loopback address.")
def serve(bind: str, port: int, threads: int, processes: int, public: bool) -> None:
    """Serve the admin and client areas."""
    if not is_loopback(bind) and not public:
        raise CliError(f"--host {bind}: not a loopback address; add --public to listen on it "
                       "(put TLS in front of it)")
    if processes > 1 and not hasattr(os, "fork"):
        raise CliError(f"--processes {processes}: more than one web process needs fork(), which this "
                       "system does not have")
    cli_state = state()
    host = cli_state.host()
    import waitress  # type: ignore[import-untyped]

    from hostsim.web import create_app

    if processes > 1:
        host.engine.dispose()  # the checks' connections do not cross the fork
        _serve_processes(bind, port, threads, processes, lambda: create_app(cli_state.factory(cli_state.config)))
        return
    app = create_app(host)
    check_listen(bind, port)
    _show_urls(bind, port)
    from hostsim.cli.serve_processes import freeze_loaded, quiet_queue_warnings
    quiet_queue_warnings()
    freeze_loaded()
    try:
        waitress.serve(app, host=bind, port=port, threads=threads)
    except OSError as exc:  # taken between the check and now
        raise CliError(f"--port {port}: cannot listen on {bind}:{port}: {exc.strerror or exc}") from None


def _show_urls(bind: str, port: int) -> None:
    shown = f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind
    click.echo(f"Admin area:  http://{shown}:{port}/admin/")
    click.echo(f"Client area: http://{shown}:{port}/")
    if not is_loopback(bind):
        click.echo(f"warning: listening on {bind}, reachable from other machines", err=True)


def _serve_processes(bind: str, port: int, threads: int, processes: int, build_app: Callable[[], Any]) -> None:
    """Bind once, then ``processes`` web processes (each its own Host and app) on those sockets."""
    from hostsim.cli import serve_processes

    sockets = bind_listen(bind, port)
    try:
        _show_urls(bind, port)
        click.echo(f"Web processes: {processes}, {threads} threads each")
        serve_processes.run(sockets, processes, threads, build_app)
    except serve_processes.GaveUp as exc:
        raise click.ClickException(str(exc)) from None  # exit code 1
    finally:
        for sock in sockets:
            sock.close()
