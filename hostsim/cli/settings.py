"""``hostsim settings``: the host's general settings."""

from __future__ import annotations

import click

from hostsim.cli.state import CliError, check_text, read_secret, state

MASK = "********"


def parse_pairs(pairs: tuple[str, ...], option: str, *, multiline: frozenset[str] = frozenset()) -> dict[str, str]:
    """``KEY=VALUE`` arguments as a dict. A control character is refused in a key and in a value
    (line breaks and tabs are allowed in the values of the ``multiline`` keys), as in a web form."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{option} {pair!r}: expected KEY=VALUE")
        key = check_text(option, key.strip())
        values[key] = check_text(f"{option} {key}:", value, multiline=key in multiline)
    return values


@click.group()
def settings() -> None:
    """Show or change the host's settings."""


@settings.command("show")
def show() -> None:
    """Show every setting (secrets masked)."""
    from hostsim.services.host_settings import DEFAULTS, SECRET_KEYS

    values = state().host().settings.all()
    for key in DEFAULTS:
        value = values.get(key, "")
        if key in SECRET_KEYS:
            value = MASK if value else "(not set)"
        click.echo(f"{key:<16} {value}".replace("\n", "\n" + " " * 17))


@settings.command("set")
@click.argument("pairs", nargs=-1, metavar="KEY=VALUE...")
@click.option("--smtp-password-stdin", is_flag=True, help="Read smtp_password from stdin.")
def set_(pairs: tuple[str, ...], smtp_password_stdin: bool) -> None:
    """Change settings given as KEY=VALUE pairs, e.g. hostsim settings set company_name="Acme Hosting" smtp_port=465."""
    from hostsim.services.host_settings import DEFAULTS, SECRET_KEYS

    values = parse_pairs(pairs, "KEY=VALUE", multiline=frozenset({"company_address"}))
    for key in values:
        if key in SECRET_KEYS:
            raise CliError(f"{key}: a secret is never given on the command line; use --smtp-password-stdin")
        if key not in DEFAULTS:
            raise CliError(f"{key}: unknown setting (known: {', '.join(DEFAULTS)})")
    if smtp_password_stdin:
        values["smtp_password"] = read_secret("SMTP password")
    if not values:
        raise CliError("nothing to set: give KEY=VALUE pairs or --smtp-password-stdin")
    host = state().host()
    try:
        changed = host.settings.set_many(values, actor="CLI")
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    click.echo(f"Changed: {', '.join(changed)}" if changed else "No changes.")
