"""The ``hostsim`` command line.

Built-in command groups live one per module; each ACTIVE addon adds ``hostsim <module> ...``
through its ``addon_cli`` hook, looked up lazily so ``hostsim --help`` works before ``init``.

Tests and embedding code choose the Host with ``obj``: ``main(args, obj=host)`` (or
``CliRunner().invoke(main, args, obj=host)``) uses that Host; ``obj=factory`` calls
``factory(HostConfig)`` once the global options are known.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from hostsim.cli.state import CliError, CliState, check_environment, database_error, state
from hostsim.logs import FORMATS, LEVELS, configure_logging

log = logging.getLogger(__name__)

#: name -> "module:attribute" of the built-in commands, imported only when used.
BUILTIN_COMMANDS: dict[str, str] = {
    "init": "hostsim.cli.init:init",
    "serve": "hostsim.cli.serve:serve",
    "addon": "hostsim.cli.addon:addon",
    "admin": "hostsim.cli.admin:admin",
    "client": "hostsim.cli.client:client",
    "settings": "hostsim.cli.settings:settings",
    "cron": "hostsim.cli.cron:cron",
    "gateway": "hostsim.cli.gateway:gateway",
    "credit": "hostsim.cli.gateway:credit",
}


def _load(spec: str) -> click.Command:
    import importlib
    module, attr = spec.split(":")
    return getattr(importlib.import_module(module), attr)


class HostsimGroup(click.Group):
    """Built-in commands, the installed addons' top-level commands (``register_commands``), and
    one group per active addon (``addon_cli``), found only when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        extra = {**self._installed_commands(ctx), **self._addon_commands(ctx)}
        return sorted(BUILTIN_COMMANDS) + sorted(n for n in extra if n not in BUILTIN_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in BUILTIN_COMMANDS:
            return _load(BUILTIN_COMMANDS[cmd_name])
        return self._installed_commands(ctx).get(cmd_name) or self._addon_commands(ctx).get(cmd_name)

    def _installed_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        """Commands the installed addons add whether or not an instance exists (``hostsim demo``)."""
        cache = ctx.meta.get("hostsim.installed_commands")
        if cache is not None:
            return cache
        from hostsim.plugins.manager import AddonRegistry, get_plugin_manager

        commands: dict[str, click.Command] = {}
        ctx.meta["hostsim.installed_commands"] = commands
        st = _state_of(ctx)
        registry = st._host.addons if st._host is not None else AddonRegistry(get_plugin_manager(), set, _no_host)
        for command in registry.commands():
            if not command.name or command.name in BUILTIN_COMMANDS or command.name in commands:
                click.echo(f"warning: addon command {command.name!r} ignored: the name is taken", err=True)
                continue
            commands[command.name] = command
        return commands

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            st = _state_of(ctx)
            hint = ""
            if st.sqlite_file_missing():
                hint = " (addon commands appear once the instance exists: run 'hostsim init')"
            raise click.UsageError(f"No such command {name!r}{hint}. Commands: "
                                   f"{', '.join(self.list_commands(ctx))}", ctx)
        return super().resolve_command(ctx, args)

    def _addon_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        """The active addons' commands; none (and no error) while there is no usable database."""
        cache = ctx.meta.get("hostsim.addon_commands")
        if cache is not None:
            return cache
        commands: dict[str, click.Command] = {}
        ctx.meta["hostsim.addon_commands"] = commands
        st = _state_of(ctx)
        try:
            if st.sqlite_file_missing():
                return commands
            host = st.host(initialised=True)
            active = sorted(host.addons.active())
        except (click.ClickException, SQLAlchemyError, OSError) as exc:
            log.debug("no addon commands: %s", exc)
            return commands
        for module in active:
            try:
                command = host.addons.cli(module)
            except Exception as exc:  # one addon's broken CLI must not take hostsim down
                click.echo(f"warning: addon {module}: its commands are unavailable: {exc}", err=True)
                continue
            if command is not None:
                command.name = module
                commands[module] = command
        return commands

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            raise database_error(exc, _state_of(ctx).url_for_display) from exc
        except LookupError as exc:
            from hostsim.plugins.manager import UnknownAddon
            if isinstance(exc, UnknownAddon):
                raise CliError(str(exc)) from exc
            raise


def _no_host() -> Any:
    raise RuntimeError("no instance: register_commands receives no host")


def _state_of(ctx: click.Context) -> CliState:
    """The state of ``ctx``, also while ``--help`` runs before the group's callback did."""
    if isinstance(ctx.obj, CliState):
        return ctx.obj
    ctx.obj = CliState.from_obj(ctx.obj, ctx.params.get("home"), ctx.params.get("database_url"))
    return ctx.obj


@click.group(cls=HostsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="HOSTSIM_HOME", metavar="PATH", show_envvar=True,
              help="Instance folder (secret key, SQLite database). Default: ./instance")
@click.option("--database-url", envvar="HOSTSIM_DATABASE_URL", metavar="URL", show_envvar=True,
              help="SQLAlchemy database URL. Default: SQLite in the instance folder.")
@click.option("--log-level", envvar="HOSTSIM_LOG_LEVEL", show_envvar=True, default="WARNING", show_default=True,
              type=click.Choice(LEVELS, case_sensitive=False), help="Least severe log records written to stderr.")
@click.option("--log-format", envvar="HOSTSIM_LOG_FORMAT", show_envvar=True, default="text", show_default=True,
              type=click.Choice(FORMATS, case_sensitive=False), help="text, or json: one JSON object per line.")
@click.version_option(package_name="hostsim-solusio", prog_name="hostsim")
@click.pass_context
def main(ctx: click.Context, home: str | None, database_url: str | None, log_level: str, log_format: str) -> None:
    """A WHMCS-style billing host: instance setup, web server, addons, settings and cron."""
    configure_logging(log_level, log_format)
    check_environment()  # a HOSTSIM_TODAY or HOSTSIM_TRUSTED_PROXIES no command could run on is refused, naming it
    st = _state_of(ctx)
    if st._host is None:
        st.home = home
        st.database_url = database_url


__all__ = ["CliError", "CliState", "main", "state"]
