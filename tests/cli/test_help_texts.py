"""Every command of both CLIs explains itself: help on every option and argument, -h and --help."""

from __future__ import annotations

from typing import Iterator

import click
import pytest
from click.testing import CliRunner

import solusio_addon.plugin
from hostsim.cli import main as hostsim_main
from solusio_sim.cli import main as sim_main


def _walk(command: click.Command, path: tuple[str, ...], ctx: click.Context) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, (*path, name), click.Context(sub, parent=ctx, info_name=name))


def _commands(root: click.Command, name: str, host: object) -> list[tuple[tuple[str, ...], click.Command]]:
    found = list(_walk(root, (), click.Context(root, info_name=name, obj=host)))
    assert len(found) > 1
    return found


@pytest.fixture
def solusio_host(make_host):
    """With the SolusIO addon active, so its commands (``hostsim solusio ...``) are walked too."""
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    return host


def _missing_help(command: click.Command) -> list[str]:
    missing = []
    for param in command.params:
        if isinstance(param, click.Option) and not (param.help or "").strip() and not param.hidden:
            missing.append("/".join(param.opts))
        # click has no help for arguments: the command's docstring must name each one.
        if isinstance(param, click.Argument) and param.human_readable_name.upper().rstrip(".") not in (command.help or "").upper():
            missing.append(param.human_readable_name)
    return missing


CLIS = [("hostsim", hostsim_main), ("solusio-sim", sim_main)]


@pytest.mark.parametrize(("name", "root"), CLIS)
def test_every_option_and_argument_has_help(name, root, solusio_host):
    commands = _commands(root, name, solusio_host)
    if name == "hostsim":
        assert ("solusio", "prices", "list") in dict(commands)  # the addon's commands are walked
    gaps = {" ".join((name, *path)): missing for path, command in commands
            if (missing := _missing_help(command))}
    assert not gaps, "\n".join(f"{cmd}: {', '.join(missing)}" for cmd, missing in gaps.items())
    undocumented = [" ".join((name, *path)) for path, command in commands
                    if not (command.help or command.short_help or "").strip()]
    assert not undocumented, ", ".join(undocumented)


@pytest.mark.parametrize(("name", "root"), CLIS)
def test_dash_h_works_everywhere(name, root, solusio_host):
    runner = CliRunner()
    for path, _command in _commands(root, name, solusio_host):
        for flag in ("-h", "--help"):
            result = runner.invoke(root, [*path, flag], obj=solusio_host, catch_exceptions=False)
            assert result.exit_code == 0, (path, flag, result.output)
            assert result.output.startswith("Usage: "), (path, flag, result.output)


def test_cron_do_offers_no_force_and_says_why(host, cli):
    """``do`` runs what it names whether due or not: a -F would mean nothing."""
    result = cli(host, "cron", "do", "-h")
    assert "--force" not in result.output and "due or not" in result.output
    for flag in ("-F", "--force"):
        refused = cli(host, "cron", "do", flag, "--PruneLoginFailures")
        assert refused.exit_code == 2
        assert "-F/--force is not needed" in refused.output
    assert "--force" in cli(host, "cron", "all", "-h").output
