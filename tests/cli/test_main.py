"""The ``hostsim`` group: help without a database, addon commands, URLs, ``serve``."""

from __future__ import annotations

import sys
import types

import click
from click.testing import CliRunner

from hostsim.addon_api import hookimpl
from hostsim.cli import main
from tests.fake_addons import CronAddon, FakeAddon


def commands_listed(help_text: str) -> list[str]:
    """The command names of ``hostsim --help``, in order."""
    listing = help_text.split("Commands:", 1)[1]
    # a name is indented by two spaces; a wrapped description line by more
    return [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line[2:3].strip()]


def test_help_without_database(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "--help"])
    assert result.exit_code == 0
    assert commands_listed(result.stdout) == ["addon", "admin", "client", "credit", "cron", "gateway", "init", "serve", "settings"]
    assert not (tmp_path / "none").exists()
    unknown = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "solusio"])
    assert unknown.exit_code == 2 and "run 'hostsim init'" in unknown.stderr


def test_installed_addons_add_commands_before_any_instance_exists(tmp_path, monkeypatch) -> None:
    # With entry points loaded, as on a fresh machine: the SolusIO addon's ``hostsim demo``.
    monkeypatch.delenv("HOSTSIM_DISABLE_ADDON_AUTOLOAD", raising=False)
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "--help"])
    assert result.exit_code == 0, result.output
    assert "demo" in commands_listed(result.stdout)
    assert not (tmp_path / "none").exists()


def test_register_commands_of_an_inactive_addon_and_names_taken(make_host, cli) -> None:
    @click.command("greet")
    def greet() -> None:
        click.echo("greetings from a top-level command")

    @click.command("cron")
    def not_the_cron() -> None:
        click.echo("hijacked")

    host = make_host(("tool", FakeAddon("tool", commands=[greet, not_the_cron])))
    assert not host.lifecycle.is_active("tool")  # register_commands needs no activation
    result = cli(host, "greet")
    assert result.exit_code == 0 and result.stdout == "greetings from a top-level command\n"
    builtin = cli(host, "cron", "list")
    assert builtin.exit_code == 0 and "hijacked" not in builtin.stdout and "PruneLoginFailures" in builtin.stdout
    listing = cli(host, "--help")
    assert listing.exit_code == 0 and "addon command 'cron' ignored: the name is taken" in listing.stderr
    assert commands_listed(listing.stdout) == [
        "addon", "admin", "client", "credit", "cron", "gateway", "init", "serve", "settings", "greet"]


def test_active_addon_commands_only(make_host, cli) -> None:
    host = make_host(("acme", CronAddon("acme")))
    assert "acme" not in cli(host, "--help").stdout
    assert cli(host, "acme", "hello").exit_code == 2
    cli(host, "addon", "activate", "acme")
    assert "Commands of the acme addon" in cli(host, "--help").stdout
    result = cli(host, "acme", "hello")
    assert result.exit_code == 0 and "hello from acme:" in result.stdout and "region=eu" in result.stdout
    cli(host, "addon", "deactivate", "acme")
    assert cli(host, "acme", "hello").exit_code == 2


def test_builtin_command_wins_over_an_addon_of_the_same_name(make_host, cli) -> None:
    host = make_host(("cron", CronAddon("cron")))
    cli(host, "addon", "activate", "cron")
    result = cli(host, "cron", "list")
    assert result.exit_code == 0 and "PruneLoginFailures" in result.stdout


def test_broken_addon_cli_is_a_warning(make_host, cli) -> None:
    class Broken(CronAddon):
        @hookimpl
        def addon_cli(self, host):  # type: ignore[override]
            raise RuntimeError("boom")

    host = make_host(("broken", Broken("broken")))
    cli(host, "addon", "activate", "broken")
    result = cli(host, "cron", "list")
    assert result.exit_code == 0
    result = cli(host, "--help")
    assert result.exit_code == 0 and "addon broken: its commands are unavailable: boom" in result.stderr


def test_database_password_never_printed(tmp_path) -> None:
    url = "postgresql+psycopg://user:hunter2-pw@127.0.0.1:1/nothing"
    for args in (["cron", "all"], ["init"]):
        result = CliRunner().invoke(main, ["--home", str(tmp_path), "--database-url", url, *args])
        assert result.exit_code != 0
        assert "hunter2-pw" not in result.output
        assert "Traceback" not in result.output
        assert "user:***@127.0.0.1:1/nothing" in result.output


def test_serve(host, cli, monkeypatch) -> None:
    calls = {}
    fake_web = types.ModuleType("hostsim.web")
    fake_web.create_app = lambda h: ("app", h)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hostsim.web", fake_web)
    import waitress
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.update(app=app, **kw))
    result = cli(host, "serve", "--port", "8099", "--threads", "4")
    assert result.exit_code == 0, result.output
    assert calls == {"app": ("app", host), "host": "127.0.0.1", "port": 8099, "threads": 4}
    assert "http://127.0.0.1:8099/admin/" in result.stdout and "http://127.0.0.1:8099/" in result.stdout

    refused = cli(host, "serve", "--host", "0.0.0.0")
    assert refused.exit_code == 2 and "--host 0.0.0.0: not a loopback address; add --public" in refused.stderr
    public = cli(host, "serve", "--host", "0.0.0.0", "--public")
    assert public.exit_code == 0 and "reachable from other machines" in public.stderr
    bad = cli(host, "serve", "--port", "99999")
    assert bad.exit_code == 2 and "--port" in bad.stderr
