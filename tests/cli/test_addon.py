"""``hostsim addon list|activate|deactivate|configure`` through the same services as the web page."""

from __future__ import annotations

from sqlalchemy import select

from hostsim.db.models import ActivityLog, AddonSetting
from tests.fake_addons import CronAddon

SECRET = "sk-live-DoNotPrintMe-123"


def test_list_activate_deactivate(make_host, cli) -> None:
    host = make_host(("demo", CronAddon()))
    listing = cli(host, "addon", "list")
    assert listing.exit_code == 0
    assert "demo" in listing.stdout and "1.2.0" in listing.stdout
    line = next(l for l in listing.stdout.splitlines() if l.startswith("demo"))
    assert line.split()[3] == "no"

    result = cli(host, "addon", "activate", "demo")
    assert result.exit_code == 0 and "activated" in result.stdout
    assert host.lifecycle.is_active("demo")
    again = cli(host, "addon", "activate", "demo")
    assert again.exit_code == 0 and "already active" in again.stdout

    assert cli(host, "addon", "configure", "demo", "--access", "Full Administrator,sales operator").exit_code == 0
    line = next(l for l in cli(host, "addon", "list").stdout.splitlines() if l.startswith("demo"))
    assert "yes" in line and "Full Administrator, Sales Operator" in line

    result = cli(host, "addon", "deactivate", "demo")
    assert result.exit_code == 0 and "deactivated" in result.stdout
    assert not host.lifecycle.is_active("demo")


def test_unknown_addon(make_host, cli) -> None:
    host = make_host(("demo", CronAddon()))
    for args in (["activate", "nope"], ["deactivate", "nope"], ["configure", "nope", "--set", "a=b"]):
        result = cli(host, "addon", *args)
        assert result.exit_code == 2
        assert "'nope': no such addon (installed: demo)" in result.stderr
        assert "Traceback" not in result.output


def test_configure_sets_fields_and_keeps_the_others(make_host, cli) -> None:
    host = make_host(("demo", CronAddon()))
    cli(host, "addon", "activate", "demo")
    result = cli(host, "addon", "configure", "demo", "--set", "url= https://solus.example ", "--set", "enabled=off")
    assert result.exit_code == 0, result.output
    assert "Saved: url, enabled" in result.stdout
    result = cli(host, "addon", "configure", "demo", "--set", "region=us")
    assert result.exit_code == 0, result.output
    values = host.addon_settings.get_all("demo")
    assert values["url"] == "https://solus.example"  # trimmed, and kept by the second call
    assert values["enabled"] == ""  # stays off
    assert values["region"] == "us"
    assert cli(host, "addon", "configure", "demo", "--set", "region=us").stdout.strip() == "No changes."


def test_configure_secret_from_stdin_and_env_never_printed(make_host, cli) -> None:
    host = make_host(("demo", CronAddon()))
    cli(host, "addon", "activate", "demo")
    result = cli(host, "addon", "configure", "demo", "--set-secret", "api_key", input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert "Saved: api_key" in result.stdout and SECRET not in result.output
    assert host.addon_settings.get("demo", "api_key") == SECRET
    # other changes keep the stored secret
    assert cli(host, "addon", "configure", "demo", "--set", "grace_days=9").exit_code == 0
    assert host.addon_settings.get("demo", "api_key") == SECRET

    result = cli(host, "addon", "configure", "demo", "--set-secret", "api_key", "--from-env", "DEMO_KEY",
                 env={"DEMO_KEY": "from-env-secret"})
    assert result.exit_code == 0, result.output
    assert host.addon_settings.get("demo", "api_key") == "from-env-secret"
    assert "from-env-secret" not in result.output

    with host.sessions() as s:
        stored = list(s.scalars(select(AddonSetting.value).where(AddonSetting.setting == "api_key")))
        logs = " ".join(s.scalars(select(ActivityLog.description)))
    assert SECRET not in stored[0] and "from-env-secret" not in stored[0]
    assert SECRET not in logs and "from-env-secret" not in logs
    listing = cli(host, "addon", "list")
    assert SECRET not in listing.output


def test_configure_errors_name_the_field(make_host, cli) -> None:
    host = make_host(("demo", CronAddon()))
    inactive = cli(host, "addon", "configure", "demo", "--set", "url=x")
    assert inactive.exit_code == 2 and "not active" in inactive.stderr
    cli(host, "addon", "activate", "demo")
    cases = {
        ("--set", "colour=red"): "--set colour: unknown field of demo (fields: url, api_key",
        ("--set", "region=mars"): "--set region: choose one of eu, us",
        ("--set", "enabled=maybe"): "--set enabled: expected on/off",
        ("--set", "noequals"): "--set 'noequals': expected KEY=VALUE",
        ("--set", f"api_key={SECRET}"): "--set api_key: a password field; use --set-secret api_key",
        ("--set-secret", "url"): "--set-secret url: not a password field",
        ("--set-secret", "nope"): "--set-secret nope: unknown field",
        ("--set-secret", "api_key", "--from-env", "NOT_SET_ANYWHERE"): "--from-env NOT_SET_ANYWHERE: no such",
        ("--access", "Janitor"): "--access: no role group named 'Janitor'",
        (): "nothing to configure",
    }
    for args, message in cases.items():
        result = cli(host, "addon", "configure", "demo", *args, input="")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output and SECRET not in result.output
    empty = cli(host, "addon", "configure", "demo", "--set-secret", "api_key", input="")
    assert empty.exit_code == 2 and "expected a value on standard input" in empty.stderr
    assert host.addon_settings.get("demo", "region") == "eu"  # nothing was saved
