"""``hostsim addon``: the Addon Modules page on the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hostsim.cli.state import TEXT, CliError, read_secret, state

if TYPE_CHECKING:
    from hostsim.host import Host
    from hostsim.plugins.types import AddonConfig

YES = ("on", "yes", "true", "1")
NO = ("off", "no", "false", "0", "")


def _config(host: "Host", module: str) -> "AddonConfig":
    from hostsim.plugins.manager import UnknownAddon
    try:
        return host.addons.config(module)
    except UnknownAddon as exc:
        installed = ", ".join(host.addons.installed()) or "none"
        raise CliError(f"NAME {module!r}: no such addon (installed: {installed})") from exc


def _role_names(host: "Host") -> dict[int, str]:
    from sqlalchemy import select

    from hostsim.db.models import AdminRole
    with host.sessions() as s:
        return {r.id: r.name for r in s.scalars(select(AdminRole).order_by(AdminRole.id))}


@click.group()
def addon() -> None:
    """List, activate, deactivate and configure addon modules."""


@addon.command("list")
def list_addons() -> None:
    """Installed addons: version, whether active, stored version, access role groups."""
    host = state().host()
    installed = host.addons.installed()
    if not installed:
        click.echo("No addons installed.")
        return
    roles = _role_names(host)
    click.echo(f"{'MODULE':<14} {'NAME':<20} {'VERSION':<9} {'ACTIVE':<7} {'STORED':<9} ACCESS")
    for module in installed:
        config = host.addons.config(module)
        stored = host.lifecycle.stored_version(module)
        access = ", ".join(roles.get(r, str(r)) for r in sorted(host.lifecycle.access_role_ids(module)))
        note = " (upgrade pending)" if stored and stored != config.version else ""
        click.echo(f"{module:<14} {config.name:<20} {config.version:<9} {'yes' if stored else 'no':<7} "
                   f"{stored or '-':<9} {access or '-'}{note}")


def _report(result: object) -> None:
    status = getattr(result, "status", "success")
    description = getattr(result, "description", "")
    if status == "error":
        raise click.ClickException(description or "the addon refused")
    click.echo(description or status)


@addon.command()
@click.argument("name", type=TEXT)
def activate(name: str) -> None:
    """Activate addon NAME (then grant access with "addon configure NAME --access")."""
    host = state().host()
    _config(host, name)
    _report(host.lifecycle.activate(name, actor="CLI"))


@addon.command()
@click.argument("name", type=TEXT)
def deactivate(name: str) -> None:
    """Deactivate addon NAME; its stored settings are removed."""
    host = state().host()
    _config(host, name)
    _report(host.lifecycle.deactivate(name, actor="CLI"))


def _parse_access(host: "Host", access: str) -> set[int]:
    by_name = {name.lower(): rid for rid, name in _role_names(host).items()}
    wanted: set[int] = set()
    for raw in access.split(","):
        name = raw.strip()
        if not name:
            continue
        if name.lower() not in by_name:
            known = ", ".join(_role_names(host).values())
            raise CliError(f"--access: no role group named {name!r} (known: {known})")
        wanted.add(by_name[name.lower()])
    return wanted


@addon.command()
@click.argument("name", type=TEXT)
@click.option("--access", metavar="ROLES", type=TEXT, help='Role groups allowed in, comma-separated ("" for none).')
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="Set a field (repeatable).")
@click.option("--set-secret", "secret_keys", multiple=True, metavar="KEY", type=TEXT,
              help="Set a password field from stdin (one line per key) or from --from-env (repeatable).")
@click.option("--from-env", "env_vars", multiple=True, metavar="VAR", type=TEXT,
              help="Environment variable holding the value of the matching --set-secret.")
def configure(name: str, access: str | None, pairs: tuple[str, ...], secret_keys: tuple[str, ...],
              env_vars: tuple[str, ...]) -> None:
    """Grant access to and change the settings of active addon NAME.

    Other fields keep their stored values; secrets never go on the command line.
    """
    from hostsim.cli.settings import parse_pairs
    from hostsim.services.addon_settings import PASSWORD_MASK

    host = state().host()
    config = _config(host, name)
    if not host.lifecycle.is_active(name):
        raise CliError(f"NAME {name!r}: the addon is not active; run 'hostsim addon activate {name}' first")
    fields = {f.key: f for f in config.fields}
    known = ", ".join(fields) or "none"
    values = parse_pairs(pairs, "--set", multiline=frozenset(k for k, f in fields.items() if f.type == "textarea"))
    if env_vars and len(env_vars) != len(secret_keys):
        raise CliError("--from-env: give one per --set-secret, in the same order")
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            raise CliError(f"--set {key}: unknown field of {name} (fields: {known})")
        if field.type == "password":
            raise CliError(f"--set {key}: a password field; use --set-secret {key} "
                           "(value from stdin or --from-env), never the command line")
        if field.type == "yesno":
            if value.strip().lower() not in YES + NO:
                raise CliError(f"--set {key}: expected on/off (or yes/no), got {value!r}")
            values[key] = "on" if value.strip().lower() in YES else ""
        elif field.type in ("dropdown", "radio") and value.strip() not in field.options:
            raise CliError(f"--set {key}: choose one of {', '.join(field.options)}; got {value!r}")
    secrets: dict[str, str] = {}
    for i, key in enumerate(secret_keys):
        field = fields.get(key)
        if field is None:
            raise CliError(f"--set-secret {key}: unknown field of {name} (fields: {known})")
        if field.type != "password":
            raise CliError(f"--set-secret {key}: not a password field; use --set {key}=VALUE")
        secrets[key] = read_secret(f"{field.friendly_name}", from_env=env_vars[i] if env_vars else None,
                                   stdin_line=len(secret_keys) > 1)
    wanted_access = _parse_access(host, access) if access is not None else None

    changed: list[str] = []
    if values or secrets:
        # The host fills a field missing from a form with its Default: submit every field,
        # as the web page does, with the stored value unless changed here.
        current = host.addon_settings.get_all(name)
        form: dict[str, str] = {}
        for key, field in fields.items():
            if key in secrets:
                form[key] = secrets[key]
            elif key in values:
                if field.type == "yesno" and not values[key]:
                    continue  # an unticked box is absent from a form
                form[key] = values[key]
            elif field.type == "password":
                form[key] = PASSWORD_MASK
            elif field.type == "yesno":
                if current.get(key):
                    form[key] = "on"
            else:
                form[key] = current.get(key, field.default)
        try:
            changed = host.addon_settings.save_config(name, form, actor="CLI")
        except ValueError as exc:
            raise CliError(f"--set: {exc}") from exc
    granted = None
    if wanted_access is not None:
        granted = host.lifecycle.set_access(name, wanted_access, actor="CLI")
        if granted.changed:
            changed.append("access")
    if not (values or secrets or wanted_access is not None):
        raise CliError("nothing to configure: give --access, --set or --set-secret")
    click.echo(f"Saved: {', '.join(changed)}" if changed else "No changes.")
    if granted is not None:
        config_name = host.addons.config(name).name
        for sentence in granted.sentences(config_name):
            click.echo(f"{sentence}.")
        if granted.none_left:
            click.echo(f"Warning: no role group can open {config_name}; no admin will reach its page.")
