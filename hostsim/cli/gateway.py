"""``hostsim gateway``: the Payment Gateways page on the command line; ``hostsim credit``: a
client's account credit."""

from __future__ import annotations

import click

from hostsim.cli.state import TEXT, CliError, RecordId, read_secret, state


@click.group()
def gateway() -> None:
    """List, activate, configure and deactivate payment gateway modules."""


@gateway.command("list")
def list_gateways() -> None:
    """Installed gateways: display name, whether active, order and currencies."""
    host = state().host()
    active = {g.name: g for g in host.payment_gateways.active()}
    click.echo(f"{'NAME':<14} {'DISPLAY NAME':<24} {'ACTIVE':<7} {'ORDER':<6} CURRENCIES")
    for name in host.gateways.installed():
        row = active.get(name)
        shown = row.display_name if row else host.gateways.config(name).display_name
        click.echo(f"{name:<14} {shown:<24} {'yes' if row else 'no':<7} {row.sort_order if row else '-'!s:<6} "
                   f"{(row.currencies or 'all') if row else '-'}")


def _run(action: str, fn: object) -> None:
    from hostsim.services.gateways import GatewayError
    try:
        fn()  # type: ignore[operator]
    except GatewayError as exc:
        raise CliError(f"{exc.field}: {exc.message}") from exc
    click.echo(action)


@gateway.command("activate")
@click.argument("name", type=TEXT)
def activate(name: str) -> None:
    """Activate gateway NAME (e.g. sandbox, banktransfer, mailin)."""
    host = state().host()
    _run(f"Activated {name}.", lambda: host.payment_gateways.activate(name, actor="CLI"))


@gateway.command("deactivate")
@click.argument("name", type=TEXT)
def deactivate(name: str) -> None:
    """Deactivate gateway NAME (its settings are removed)."""
    host = state().host()
    _run(f"Deactivated {name}.", lambda: host.payment_gateways.deactivate(name, actor="CLI"))


@gateway.command("configure")
@click.argument("name", type=TEXT)
@click.option("--display-name", type=TEXT, help="The name clients see.")
@click.option("--order", type=TEXT, help="Position in the method chooser (0-9999).")
@click.option("--currencies", type=TEXT, help="Comma-separated codes offered for; '' for every currency.")
@click.option("--set", "pairs", multiple=True, type=TEXT, metavar="KEY=VALUE", help="A setting (not a secret).")
@click.option("--secret", "secret_key", type=TEXT, metavar="KEY", help="A password setting, read from stdin.")
@click.option("--from-env", type=TEXT, help="Read the --secret value from this environment variable.")
def configure(name: str, display_name: str | None, order: str | None, currencies: str | None,
              pairs: tuple[str, ...], secret_key: str | None, from_env: str | None) -> None:
    """Configure gateway NAME; secrets never come from the command line."""
    host = state().host()
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set {pair!r}: expected KEY=VALUE")
        settings[key] = value
    if secret_key:
        settings[secret_key] = read_secret(f"setting {secret_key}", from_env=from_env)
    changed: list[str] = []

    def save() -> None:
        changed.extend(host.payment_gateways.configure(name, display_name=display_name, order=order,
                                                       currencies=currencies, settings=settings, actor="CLI"))

    _run("", save)
    click.echo(f"Changed: {', '.join(changed)}." if changed else "Nothing changed.")


@click.group()
def credit() -> None:
    """A client's account credit: show it, add or remove it with a reason."""


@credit.command("show")
@click.argument("client_id", type=RecordId("client"))
def show(client_id: int) -> None:
    """The balance and the latest entries of the credit ledger of client CLIENT_ID."""
    from hostsim.services.credit import CreditError
    host = state().host()
    try:
        balance = host.credit.balance(client_id)
    except CreditError as exc:
        raise CliError(f"CLIENT_ID: {exc.message}") from exc
    click.echo(f"Balance: {balance}")
    for entry in host.credit.history(client_id, limit=20):
        click.echo(f"{entry.created_at:%Y-%m-%d} {entry.amount:>12} -> {entry.balance:>12}  {entry.reason}")


@credit.command("add")
@click.argument("client_id", type=RecordId("client"))
@click.argument("amount", type=TEXT)
@click.option("--reason", required=True, type=TEXT, help="Why (logged).")
@click.option("--remove", is_flag=True, help="Remove AMOUNT instead of adding it.")
def add(client_id: int, amount: str, reason: str, remove: bool) -> None:
    """Add (or with --remove, remove) AMOUNT of credit for client CLIENT_ID, in its currency."""
    from hostsim.money import parse_decimal
    host = state().host()
    try:
        value = parse_decimal(amount, places=4, field="AMOUNT")
        new = host.credit.adjust(client_id, -value if remove else value, reason=reason, actor="CLI")
    except ValueError as exc:
        field = getattr(exc, "field", "")
        label = {"reason": "--reason", "amount": "AMOUNT", "client_id": "CLIENT_ID"}.get(field, "")
        raise CliError(f"{label}: {getattr(exc, 'message', exc)}" if label else str(exc)) from exc
    click.echo(f"Balance: {new}")


__all__ = ["credit", "gateway"]
