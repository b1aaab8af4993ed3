"""``hostsim client``: close and reopen client accounts, change their currency."""

from __future__ import annotations

import click

from hostsim.cli.state import CliError, RecordId, state


@click.group()
def client() -> None:
    """Client accounts: close and reopen them, change their currency."""


def _change(client_id: int, close: bool) -> None:
    from hostsim.services.clients import ClientError, close_client, reopen_client

    host = state().host()
    try:
        changed = (close_client if close else reopen_client)(host, client_id, actor="CLI")
    except ClientError as exc:
        raise CliError(f"CLIENT_ID: {exc.message}" if exc.field == "client_id" else f"{exc.field}: {exc.message}") \
            from exc
    if close:
        click.echo(f"Client #{client_id} closed." if changed else f"Client #{client_id} was already closed.")
    else:
        click.echo(f"Client #{client_id} reopened (Active)." if changed else f"Client #{client_id} is not closed.")


@client.command("close")
@click.argument("client_id", type=RecordId("a client id"))
def close(client_id: int) -> None:
    """Close client CLIENT_ID: it can no longer log in; active addons are told (client_status_change)."""
    _change(client_id, True)


@client.command("currency")
@click.argument("client_id", type=RecordId("a client id"))
@click.argument("code", metavar="CURRENCY")
def currency(client_id: int, code: str) -> None:
    """Change the currency of client CLIENT_ID (only while it has no invoices and no credit); logged."""
    from hostsim.services.client_currency import change_currency
    from hostsim.services.clients import ClientError

    try:
        changed = change_currency(state().host(), client_id, code, actor="CLI")
    except ClientError as exc:
        raise CliError(f"CLIENT_ID: {exc.message}" if exc.field == "client_id" else f"CURRENCY: {exc.message}") \
            from exc
    click.echo(f"Client #{client_id} now uses {code.strip().upper()}." if changed
               else f"Client #{client_id} already uses {code.strip().upper()}.")


@client.command("reopen")
@click.argument("client_id", type=RecordId("a client id"))
def reopen(client_id: int) -> None:
    """Reopen closed client CLIENT_ID (Active again); active addons are told."""
    _change(client_id, False)
