"""The ``hostsim`` group: help without a database, addon commands, URLs, ``serve``."""

from __future__ import annotations

import sys
import types

from click.testing import CliRunner

from hostsim.cli import main
from tests.cron.addons import Demo


def test_help_without_database(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "--help"])
    assert result.exit_code == 0
    for name in ("init", "serve", "addon", "admin", "settings", "cron", "demo"):
        assert name in result.stdout
    assert not (tmp_path / "none").exists()
    unknown = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "solusio"])
    assert unknown.exit_code == 2 and "run 'hostsim init'" in unknown.stderr


def test_active_addon_commands_only(make_host, cli) -> None:
    host = make_host(("acme", Demo("acme")))
    assert "acme" not in cli(host, "--help").stdout
    assert cli(host, "acme", "hello").exit_code == 2
    cli(host, "addon", "activate", "acme")
    assert "Commands of the acme addon" in cli(host, "--help").stdout
    result = cli(host, "acme", "hello")
    assert result.exit_code == 0 and "hello from acme, 1 active addon(s)" in result.stdout
    cli(host, "addon", "deactivate", "acme")
    assert cli(host, "acme", "hello").exit_code == 2


def test_builtin_command_wins_over_an_addon_of_the_same_name(make_host, cli) -> None:
    host = make_host(("cron", Demo("cron")))
    cli(host, "addon", "activate", "cron")
    result = cli(host, "cron", "list")
    assert result.exit_code == 0 and "PruneLoginFailures" in result.stdout


def test_broken_addon_cli_is_a_warning(make_host, cli) -> None:
    class Broken(Demo):
        from hostsim.plugins import hookimpl

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
