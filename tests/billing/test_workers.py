"""``hostsim cron do --SolusioAutomation --workers 3``: the month's invoicing shared by three real
worker processes through the database (``FOR UPDATE SKIP LOCKED`` claims), on PostgreSQL and
MariaDB; SQLite runs one process and says so.

Each run is a real ``hostsim`` process (``run_worker.py hostsim``), whose workers are real
processes it spawns; batches of 2 clients and 300 ms per SolusIO answer, so the month takes
several seconds and every worker is still claiming when the others start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from solusio_addon.billing.parallel import workers_done_by
from solusio_addon.billing.periods import Period
from solusio_addon.db.models import BillingBatch

from .conftest import World
from .test_concurrency import CLIENTS, assert_billed_once, populate

ROOT = Path(__file__).resolve().parents[2]
CLAIM = 2
LATENCY_MS = 300


def on_sqlite(world: World) -> bool:
    return world.host.engine.dialect.name == "sqlite"


def hostsim(world: World, *args: str) -> subprocess.Popen[str]:
    host = world.host
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "HOSTSIM_HOME": str(host.config.home),
           "HOSTSIM_DATABASE_URL": host.engine.url.render_as_string(hide_password=False),
           "HELPER_BATCH_SIZE": "5", "HELPER_CLAIM_SIZE": str(CLAIM)}
    env.pop("HOSTSIM_TODAY", None)
    return subprocess.Popen([sys.executable, "-m", "tests.billing.run_worker", "hostsim", "cron", "do",
                             "--SolusioAutomation", "--today", "2026-08-01", "-v", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def complete(proc: subprocess.Popen[str], done: str = "SolusioAutomation: success") -> str:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{out}\n{err}"
    assert done in out, out + err
    return out


def batches(world: World) -> tuple[int, int]:
    with world.host.sessions() as s:
        total = s.scalar(select(func.count()).select_from(BillingBatch)) or 0
        done = s.scalar(select(func.count()).select_from(BillingBatch).where(BillingBatch.done_at.is_not(None))) or 0
    return int(total), int(done)


def children(pid: int) -> list[int]:
    """The worker processes ``pid`` spawned (Linux /proc; multiprocessing's resource tracker,
    also a child, is not one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat, cmdline = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
    return found


def test_on_sqlite_the_month_is_billed_in_one_process_and_the_run_says_so(world: World) -> None:
    if not on_sqlite(world):
        pytest.skip("the SQLite rule; the worker tests below run on PostgreSQL and MariaDB")
    expected = populate(world)
    out = complete(hostsim(world, "--workers", "3"))
    assert "--workers 3: SQLite allows one writer at a time, so the work runs in one process" in out
    assert_billed_once(world, expected)
    assert batches(world) == (0, 0)


@pytest.mark.slow
def test_three_workers_bill_the_month_once_each_taking_a_share(world: World) -> None:
    if on_sqlite(world):
        pytest.skip("worker processes need PostgreSQL or MariaDB (SQLite: the test above)")
    expected = populate(world)
    world.sim.faults.latency_ms = LATENCY_MS
    out = complete(hostsim(world, "--workers", "3"))
    assert_billed_once(world, expected)  # the same invoices and totals as one process, no duplicate
    planned = -(-CLIENTS // CLAIM)
    assert f"2026-07: {planned} batch(es) of clients for 3 workers" in out
    assert batches(world) == (planned, planned)
    shares = workers_done_by(world.api, Period.parse("2026-07"))
    assert len(shares) == 3 and all(n > 0 for n in shares.values()), shares
    assert f"clients invoiced: {len(expected)}" in out  # the workers' counts reach the run's report


@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_no_client_unbilled(world: World) -> None:
    if on_sqlite(world):
        pytest.skip("worker processes need PostgreSQL or MariaDB (SQLite: the test above)")
    expected = populate(world)
    world.sim.faults.latency_ms = LATENCY_MS
    proc = hostsim(world, "--workers", "3")
    give_up = time.monotonic() + 90
    while (batches(world)[1] < 3 or len(children(proc.pid)) < 3) and proc.poll() is None:
        assert time.monotonic() < give_up, "the workers never got going"
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before a worker could be killed"
    victim = children(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)  # holding a claimed batch: each batch takes a SolusIO answer or more
    out = complete(proc)
    assert "1 worker(s) stopped early (exit codes -9)" in out
    assert_billed_once(world, expected)
    total, done = batches(world)
    assert total == done == -(-CLIENTS // CLAIM)


@pytest.mark.slow
def test_a_second_host_running_the_same_command_joins_the_run(world: World) -> None:
    if on_sqlite(world):
        pytest.skip("worker processes need PostgreSQL or MariaDB (SQLite: the test above)")
    expected = populate(world)
    # SolusIO holds every usage request until both hosts' workers have each claimed a batch, so
    # the first run cannot finish the month before the second host's workers have started.
    world.sim.faults.hold("users/")
    first = hostsim(world, "--workers", "2")
    second = None
    try:
        give_up = time.monotonic() + 90
        while batches(world)[0] == 0 and first.poll() is None:  # planned: the run is in progress
            assert time.monotonic() < give_up, "the first run never planned its batches"
            time.sleep(0.05)
        second = hostsim(world, "--workers", "2")  # what another host does
        in_flight = 4 * CLAIM  # four workers, each waiting on its batch's usage requests
        while world.sim.faults.held < in_flight:
            assert first.poll() is None and second.poll() is None, "a run ended while SolusIO was held"
            assert time.monotonic() < give_up, f"only {world.sim.faults.held} usage requests arrived"
            time.sleep(0.05)
    finally:
        world.sim.faults.release()
    joined = complete(second, "SolusioAutomation: joined run done")
    complete(first)
    assert "SolusioAutomation: joining the run of" in joined and "joining: 2026-07 with 2 worker(s)" in joined
    assert_billed_once(world, expected)
    shares = workers_done_by(world.api, Period.parse("2026-07"))
    assert len(shares) == 4 and all(n > 0 for n in shares.values()), shares  # both runs' workers


def test_workers_are_refused_for_a_task_that_runs_in_one_process(world: World, cli) -> None:
    result = cli(world.host, "cron", "do", "--PruneLoginFailures", "--workers", "2")
    assert result.exit_code == 2
    assert "--workers: PruneLoginFailures runs in one process" in result.output
    result = cli(world.host, "cron", "do", "--SolusioAutomation", "--workers", "0")
    assert result.exit_code == 2 and "--workers" in result.output


def test_batches_the_planner_bills_itself_are_counted_once_beside_its_own_counts(world: World) -> None:
    """The planning process bills what the workers left (here: all of it, no worker ran): its
    report keeps what it counted before and gets each batch's counts once."""
    from datetime import date

    from solusio_addon.billing.parallel import add_counts, plan_month, work

    expected = populate(world)
    automation = world.automation()
    automation.report.provisioned = 2  # what the run counted before invoicing
    period = Period.parse("2026-07")
    generation, planned = plan_month(world.api, automation, period, claim_size=CLAIM)
    assert planned == -(-CLIENTS // CLAIM)
    plans = [(period.label, generation)]
    assert work(world.api, automation, date(2026, 8, 1), plans) == planned
    add_counts(world.api, automation.report, plans)
    assert automation.report.provisioned == 2
    assert automation.report.invoiced == len(expected) and automation.report.no_usage == CLIENTS - len(expected)
    assert_billed_once(world, expected)
