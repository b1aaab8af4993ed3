"""``hostsim admin create`` and ``hostsim settings show|set``."""

from __future__ import annotations

import re

from sqlalchemy import select

from hostsim.db.models import ActivityLog, Admin
from hostsim.services.passwords import verify_password


def test_admin_create_generated_password(host, cli) -> None:
    result = cli(host, "admin", "create", "sally", "--email", "sally@example.com", "--role", "Sales Operator")
    assert result.exit_code == 0, result.output
    (password,) = re.findall(r"shown only once, store it now\): (\S+)", result.stdout)
    with host.sessions() as s:
        admin = s.scalars(select(Admin).where(Admin.username == "sally")).one()
        assert admin.role.name == "Sales Operator"
        assert verify_password(admin.password_hash, password)
    assert "sally" in cli(host, "admin", "list").stdout


def test_admin_create_from_stdin_and_errors(host, cli) -> None:
    result = cli(host, "admin", "create", "tom", "--email", "tom@example.com", "--password-stdin",
                 input="Correct-Horse-9\n")
    assert result.exit_code == 0, result.output
    assert "Correct-Horse-9" not in result.output and "shown only once" not in result.output
    cases = {
        ("tom", "--email", "t@example.com"): "USERNAME: 'tom' is taken",
        ("bad name", "--email", "b@example.com"): "USERNAME: letters, digits",
        ("ann", "--email", "nope"): "--email: enter a valid email address",
        ("ann", "--email", "a@example.com", "--role", "Janitor"): "--role: no role group named 'Janitor'",
    }
    for args, message in cases.items():
        result = cli(host, "admin", "create", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr
    missing = cli(host, "admin", "create", "ann")
    assert missing.exit_code == 2 and "--email" in missing.stderr


def test_settings_show_and_set(host, cli) -> None:
    result = cli(host, "settings", "set", "company_name=Acme Hosting", "smtp_port=465")
    assert result.exit_code == 0, result.output
    assert "Changed: company_name, smtp_port" in result.stdout
    shown = cli(host, "settings", "show").stdout
    assert re.search(r"company_name\s+Acme Hosting", shown)
    assert re.search(r"smtp_password\s+\(not set\)", shown)


def test_smtp_password_only_from_stdin_and_masked(host, cli) -> None:
    refused = cli(host, "settings", "set", "smtp_password=hunter2-Secret")
    assert refused.exit_code == 2 and "never given on the command line" in refused.stderr
    assert host.settings.get("smtp_password") == ""
    result = cli(host, "settings", "set", "--smtp-password-stdin", input="hunter2-Secret\n")
    assert result.exit_code == 0, result.output
    assert host.settings.get("smtp_password") == "hunter2-Secret"
    shown = cli(host, "settings", "show").stdout
    assert "hunter2" not in shown and re.search(r"smtp_password\s+\*{8}", shown)
    with host.sessions() as s:
        assert not any("hunter2" in d for d in s.scalars(select(ActivityLog.description)))


def test_settings_errors(host, cli) -> None:
    cases = {
        ("set", "smtp_port=99999"): "smtp_port: must be a port number",
        ("set", "colour=red"): "colour: unknown setting",
        ("set", "company_name"): "expected KEY=VALUE",
        ("set",): "nothing to set",
        ("set", "smtp_security=tls"): "smtp_security: must be one of",
    }
    for args, message in cases.items():
        result = cli(host, "settings", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr
        assert "Traceback" not in result.output
