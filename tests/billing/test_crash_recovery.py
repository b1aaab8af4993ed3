"""``hostsim cron do --SolusioAutomation`` killed with SIGKILL part-way, then run again AT ONCE:
the re-run takes the dead process's lock over by itself (no waiting for the lock to expire, no
``cron unlock``), exits 0 and finishes the month with exactly a clean run's invoices and emails.

Every run here is a real ``hostsim`` process (see ``run_worker.py``: the command with the SolusIO
addon, billing in batches of 5) over the test database, with the lock TTL left at its default.
The kill point is found by progress: once the run has said how many clients it bills, and the
ledger holds a seeded number of rows, plus a seeded pause shorter than one SolusIO answer.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from hostsim.db.models import CronRun, Invoice

from .conftest import World
from .test_concurrency import CLIENTS, assert_billed_once, ledger_rows, populate

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(5)
LATENCY_MS = 30  # each SolusIO answer of the killed run, so it is caught part-way
BATCH = 5
COMMAND = ["cron", "do", "--SolusioAutomation", "--today", "2026-08-01", "-v"]


def hostsim(world: World) -> subprocess.Popen[str]:
    host = world.host
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "HOSTSIM_HOME": str(host.config.home),
           "HOSTSIM_DATABASE_URL": host.engine.url.render_as_string(hide_password=False),
           "HELPER_BATCH_SIZE": str(BATCH)}
    for variable in ("HOSTSIM_CRON_LOCK_TTL", "HOSTSIM_CRON_HEARTBEAT", "HOSTSIM_TODAY"):
        env.pop(variable, None)  # the defaults: a kill is recovered without any tuning
    return subprocess.Popen([sys.executable, "-m", "tests.billing.run_worker", "hostsim", *COMMAND], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def complete(proc: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{out}\n{err}"
    assert "SolusioAutomation: success" in out, out + err
    assert "already running" not in out + err
    return out, err


def cron_runs(world: World) -> list[tuple[str, str]]:
    with world.host.sessions() as s:
        return [(r.status, r.error) for r in s.scalars(select(CronRun).where(CronRun.task_name == "SolusioAutomation")
                                                        .order_by(CronRun.id))]


def invoice_count(world: World) -> int:
    with world.host.sessions() as s:
        return len(list(s.scalars(select(Invoice.id))))


@pytest.mark.slow
def test_a_clean_cron_run_bills_the_month(world: World) -> None:
    expected = populate(world)
    out, _err = complete(hostsim(world))
    assert f"2026-07: {CLIENTS} client(s) to bill" in out
    assert_billed_once(world, expected)
    assert invoice_count(world) == len(expected)
    assert cron_runs(world) == [("success", "")]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_then_an_immediate_rerun_completes_the_month(world: World, seed: int) -> None:
    rng = random.Random(7000 + seed)
    kill_after = rng.randrange(0, CLIENTS - BATCH, BATCH)  # ledger rows: 0 to 30, a batch or more left to bill
    pause = rng.uniform(0, LATENCY_MS / 1000)
    expected = populate(world)
    world.sim.faults.latency_ms = LATENCY_MS
    proc = hostsim(world)
    assert proc.stdout is not None
    said = []
    while not said or "client(s) to bill" not in said[-1]:  # the kill point: billing has begun
        line = proc.stdout.readline()
        assert line, f"the run ended before billing:\n{''.join(said)}{proc.communicate()}"
        said.append(line)
    give_up = time.monotonic() + 60  # only against a hung run
    while ledger_rows(world) < kill_after:
        assert proc.poll() is None, f"the run ended before its kill point:\n{proc.communicate()}"
        assert time.monotonic() < give_up, "the run made no progress"
        time.sleep(0.002)
    time.sleep(pause)
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    # Interrupted for real: a run that had finished would have said so.
    assert proc.returncode == -signal.SIGKILL and "SolusioAutomation: success" not in out, out
    print(f"seed {seed}: killed with {ledger_rows(world)}/{CLIENTS} ledger rows written")  # shown with -s

    world.sim.faults.latency_ms = 0
    _out, err = complete(hostsim(world))  # no waiting, no unlock
    assert f"took over the lock of PID {proc.pid} on this host, which is gone" in err, err
    assert_billed_once(world, expected)
    assert invoice_count(world) == len(expected)
    (killed, rerun) = cron_runs(world)
    assert killed[0] == "failed" and "interrupted" in killed[1]
    assert rerun == ("success", "")
