"""``hostsim solusio invoice | exempt | enrolments`` against the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from hostsim.cli import main
from hostsim.clock import clock
from hostsim.db.models import ActivityLog, EmailLog, Invoice
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus

from .conftest import World

ROOT = Path(__file__).resolve().parents[2]


def run(world: World, *args: str) -> Result:
    return CliRunner().invoke(main, ["solusio", *args], obj=world.host)


def count(world: World, model: type) -> int:
    with world.host.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def two_clients(world: World) -> tuple[int, int]:
    world.set_prices(USD="0.0010")
    ann, ann_user = world.enrol("ann@example.com")
    bob, bob_user = world.enrol("bob@example.com")
    world.server(ann_user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")  # 240 h: 1680 tokens
    world.server(bob_user, "2026-07-01T00:00:00", "2026-07-02T00:00:00", name="db-1")  # 24 h: 168 tokens
    return ann, bob


def test_dry_run_prints_each_line_and_total_and_writes_nothing(world: World) -> None:
    ann, bob = two_clients(world)
    clock.set_today(date(2026, 8, 3))
    result = run(world, "invoice", "--period", "2026-07", "--dry-run")
    assert result.exit_code == 0, result.output + result.stderr
    out = result.output
    assert f"client #{ann} (ann@example.com) 2026-07:" in out
    assert "Server web-1 (Small plan), 2026-07-01 to 2026-07-31: 240 h, 1680 tokens: $1.68" in out
    assert "total: $1.68" in out and "total: $0.17" in out
    assert "2 invoice(s) would be created; nothing was written" in out
    assert count(world, Invoice) == count(world, BilledPeriod) == count(world, EmailLog) == 0


def test_real_run_for_one_client_then_the_rest_never_twice(world: World) -> None:
    ann, bob = two_clients(world)
    clock.set_today(date(2026, 8, 3))
    result = run(world, "invoice", "--period", "2026-07", "--client", str(ann))
    assert result.exit_code == 0, result.output + result.stderr
    assert f"client #{ann} (ann@example.com) 2026-07, $1.68" in result.output
    assert "invoiced 1, no usage 0" in result.output
    with world.host.sessions() as s:
        invoice = s.scalars(select(Invoice)).one()
        assert (invoice.client_id, invoice.date, invoice.due_date) == (ann, date(2026, 8, 3), date(2026, 8, 17))
    again = run(world, "invoice", "--period", "2026-07", "--client", str(ann))
    assert again.exit_code == 0 and "nothing to invoice for 2026-07" in again.output
    rest = run(world, "invoice", "--period", "2026-07", "-v")
    assert rest.exit_code == 0, rest.stderr
    assert f"client #{bob} (bob@example.com) 2026-07, $0.17" in rest.output and "invoiced 1" in rest.output
    assert f"client #{bob} 2026-07: invoiced" in rest.output  # -v: what happened to each client
    assert count(world, Invoice) == 2 and count(world, EmailLog) == 2


def test_incomplete_month_and_bad_options_are_refused(world: World) -> None:
    ann, _ = two_clients(world)
    clock.set_today(date(2026, 7, 31))
    refused = run(world, "invoice", "--period", "2026-07")
    assert refused.exit_code == 2
    assert "--period 2026-07: the month is not complete yet (today is 2026-07-31)" in refused.stderr
    assert run(world, "invoice", "--period", "2026-09").exit_code == 2
    clock.set_today(date(2026, 8, 1))
    for args, message in [(("--period", "2026-13"), "--period '2026-13': write the month as YYYY-MM"),
                          (("--period", "July"), "--period 'July': write the month as YYYY-MM"),
                          (("--period", "2026-07", "--client", "abc"), "--client 'abc': expected a client id"),
                          (("--period", "2026-07", "--client", "-3"), "--client '-3': expected a client id"),
                          (("--period", "2026-07", "--client", "999"), "--client 999: no client with this id")]:
        result = run(world, "invoice", *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip() == f"Error: {message}" or message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert count(world, BilledPeriod) == 0


@pytest.mark.slow
def test_host_clock_from_hostsim_today_in_a_real_process(world: World) -> None:
    """HOSTSIM_TODAY moves the host clock the command reads (a real ``hostsim`` process)."""
    two_clients(world)
    host = world.host
    env = {**os.environ, "HOSTSIM_DATABASE_URL": host.engine.url.render_as_string(hide_password=False),
           "HOSTSIM_HOME": str(host.config.home), "PYTHONPATH": str(ROOT)}
    env.pop("HOSTSIM_DISABLE_ADDON_AUTOLOAD", None)  # the addon comes from its entry point
    cmd = [str(Path(sys.executable).parent / "hostsim"), "solusio", "invoice", "--period", "2026-07", "--dry-run"]
    early = subprocess.run(cmd, env={**env, "HOSTSIM_TODAY": "2026-07-20"}, capture_output=True, text=True,
                           cwd=ROOT, timeout=60)
    assert early.returncode == 2 and "not complete yet (today is 2026-07-20)" in early.stderr, early.stderr
    later = subprocess.run(cmd, env={**env, "HOSTSIM_TODAY": "2026-08-02"}, capture_output=True, text=True,
                           cwd=ROOT, timeout=60)
    assert later.returncode == 0, later.stderr
    assert "2 invoice(s) would be created" in later.stdout


def test_exempt_on_off_is_logged_and_listed(world: World) -> None:
    ann, bob = two_clients(world)
    on = run(world, "exempt", str(ann), "--on")
    assert on.exit_code == 0 and f"client #{ann} is exempt from automatic lock/suspend" in on.output
    assert "(unchanged)" in run(world, "exempt", str(ann), "--on").output
    with world.host.sessions() as s:
        assert s.scalars(select(Enrolment.exempt_from_overdue).where(Enrolment.client_id == ann)).one() is True
        log = list(s.scalars(select(ActivityLog).where(ActivityLog.client_id == ann)))
    assert [(e.actor, e.description) for e in log] == [
        ("CLI", f"Addon solusio: client #{ann} exempt from automatic lock/suspend")]
    listing = run(world, "enrolments")
    assert listing.exit_code == 0
    rows = {line.split()[0]: line.split() for line in listing.output.splitlines()[1:]}
    assert rows[str(ann)][1:5] == ["ann@example.com", rows[str(ann)][2], "active", "yes"]
    assert rows[str(bob)][3:5] == ["active", "no"]
    off = run(world, "exempt", str(ann), "--off")
    assert off.exit_code == 0 and "is not exempt from" in off.output
    for args, message in [((str(ann),), "give --on or --off"), (("x", "--on"), "CLIENT_ID 'x'"),
                          (("4242", "--on"), "CLIENT_ID 4242: client #4242 is not enrolled")]:
        result = run(world, "exempt", *args)
        assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_enrolments_filter_by_status_and_why(world: World) -> None:
    ann, bob = two_clients(world)
    world.automation().run(date(2026, 8, 1))
    world.automation().run(date(2026, 8, 22))  # due 15 August + 7 days: both locked
    with world.host.sessions() as s:
        anns_invoice = s.scalars(select(Invoice.id).where(Invoice.client_id == ann)).one()
    locked = run(world, "enrolments", "--status", "locked")
    assert locked.exit_code == 0
    assert f"invoice #{anns_invoice} unpaid, due 2026-08-15" in locked.output
    assert len(locked.output.splitlines()) == 3
    assert run(world, "enrolments", "--status", "active").output.strip() == "no enrolment with status active"
    bad = run(world, "enrolments", "--status", "gone")
    assert bad.exit_code == 2 and "--status: 'gone' is not one of pending, active, locked, suspended" in bad.stderr
    with world.host.sessions() as s:
        assert {e.status for e in s.scalars(select(Enrolment))} == {EnrolmentStatus.LOCKED}
