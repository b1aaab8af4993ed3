"""``hostsim solusio ...``: connect (key from env or stdin only), status, post-pay, prices."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from hostsim.addon_api import Host as AddonHost
from hostsim.cli import main
from hostsim.db.models import ActivityLog
from hostsim.host import Host
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_sim import SimServer


def run(host: Host, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["solusio", *args], obj=host, input=input, env=env)


def test_connect_from_env_then_status(addon_host: Host, api: AddonHost, sim: SimServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = run(addon_host, "connect", "--url", sim.url, "--api-key-env", "SOLUSIO_KEY",
                 env={"SOLUSIO_KEY": sim.admin_token})
    assert result.exit_code == 0, result.output + result.stderr
    assert "Connected to SolusIO" in result.output
    status = run(addon_host, "status")
    assert status.exit_code == 0, status.stderr
    assert "connected:            yes" in status.output
    assert f"solusio answers:      yes, as {sim.state.ADMIN_EMAIL}" in status.output
    assert "billing integration:  configured" in status.output
    assert "enrolled users:       0" in status.output
    assert "USD=not set" in status.output and "cannot be invoiced" in status.stderr
    secret = addon_settings.load_connection(api).integration_secret
    with addon_host.sessions() as s:
        activity = " ".join(s.scalars(select(ActivityLog.description)))
    for text in (result.output, result.stderr, status.output, status.stderr, caplog.text, activity):
        assert sim.admin_token not in text and secret not in text


def test_connect_from_stdin_and_failure(addon_host: Host, api: AddonHost, sim: SimServer) -> None:
    bad = run(addon_host, "connect", "--url", sim.url, "--api-key-stdin", input="wrong-key\n")
    assert bad.exit_code == 2 and "The API key was refused" in bad.stderr and "Nothing was saved" in bad.stderr
    assert not addon_settings.load_connection(api).connected
    ok = run(addon_host, "connect", "--url", sim.url, "--api-key-stdin", input=sim.admin_token + "\n")
    assert ok.exit_code == 0, ok.stderr
    assert addon_settings.load_connection(api).api_key == sim.admin_token


def test_no_api_key_option_on_argv(addon_host: Host, sim: SimServer) -> None:
    result = run(addon_host, "connect", "--url", sim.url, "--api-key", sim.admin_token)
    assert result.exit_code == 2 and "No such option" in result.stderr
    missing = run(addon_host, "connect", "--url", sim.url, "--api-key-env", "NOT_SET_ANYWHERE")
    assert missing.exit_code == 2 and "no such environment variable" in missing.stderr


def test_postpay_set_with_the_forms_validation(addon_host: Host, api: AddonHost, sim: SimServer) -> None:
    assert run(addon_host, "connect", "--url", sim.url, "--api-key-env", "K", env={"K": sim.admin_token}).exit_code == 0
    group = next(g for g in sim.state.limit_groups.values() if g.name == "Starter")
    ok = run(addon_host, "postpay", "set", "--grace-days", "10", "--limit-group", str(group.id))
    assert ok.exit_code == 0, ok.stderr
    pp = addon_settings.load_postpay(api)
    assert (pp.grace_days, pp.lock_days, pp.suspend_days, pp.limit_group_name) == (10, 7, 14, "Starter")
    bad = run(addon_host, "postpay", "set", "--lock-days", "20", "--grace-days", "x", "--terms-url", "ftp://x")
    assert bad.exit_code == 2
    assert "cannot come before locking" in bad.stderr and "Invoicing Grace Period" in bad.stderr
    assert "Post-Pay Terms & Conditions" in bad.stderr
    assert addon_settings.load_postpay(api) == pp
    unknown = run(addon_host, "postpay", "set", "--limit-group", "999")
    assert unknown.exit_code == 2 and "no limit group #999" in unknown.stderr
    shown = run(addon_host, "postpay", "show")
    assert "grace_days: 10" in shown.output


def test_prices_set_and_list(addon_host: Host, api: AddonHost) -> None:
    ok = run(addon_host, "prices", "set", "USD=0.001", "eur=0.0009")
    assert ok.exit_code == 0, ok.stderr
    listed = run(addon_host, "prices", "list")
    assert "USD  0.0010" in listed.output and "EUR  0.0009" in listed.output
    for bad, message in (("USD=0.00105", "at most 4 decimal places"), ("USD=-1", "must not be negative"),
                         ("USD=abc", "not a plain decimal number"), ("USD=1e3", "not a plain decimal number"),
                         ("GBP=1", "not an active currency"), ("USD", "write CODE=PRICE")):
        result = run(addon_host, "prices", "set", "EUR=0.5", bad)
        assert result.exit_code == 2, bad
        assert message in result.stderr, (bad, result.stderr)
    assert {r.code: r.price for r in pricing.active_prices(api)} == \
        {"USD": Decimal("0.0010"), "EUR": Decimal("0.0009")}
