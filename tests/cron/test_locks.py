"""Two cron processes never run one task at once; a killed holder's lock expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hostsim.cron.locks import TaskLocks
from hostsim.db.models import ActivityLog, CronLock, CronRun
from tests.cron.helper_cli import STARTED, Sleeper

REPO = Path(__file__).resolve().parents[2]
SKIPPED = "SolusioAutomation is already running elsewhere; skipped"


def test_lock_claims_in_process(host) -> None:
    a = TaskLocks(host.engine, owner="a", ttl=timedelta(seconds=60))
    b = TaskLocks(host.engine, owner="b", ttl=timedelta(seconds=60))
    assert a.acquire("T")
    assert not b.acquire("T")
    assert not a.acquire("T")  # not re-entrant either
    assert a.holder("T")[0] == "a"
    assert a.renew("T") and not b.renew("T")
    b.release("T")  # not ours: no effect
    assert not b.acquire("T")
    a.release("T")
    assert a.holder("T") is None
    assert b.acquire("T")


def test_expired_lock_is_taken_over(host) -> None:
    a = TaskLocks(host.engine, owner="a", ttl=timedelta(seconds=-1))  # expired at once
    b = TaskLocks(host.engine, owner="b")
    assert a.acquire("T")
    assert b.acquire("T")
    assert not a.renew("T")  # a lost it
    with host.sessions() as s:
        assert s.get(CronLock, "T").owner == "b"


def _popen(db_url: str, home: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cron.helper_cli", "--home", str(home), "--database-url", db_url, *args],
        cwd=REPO, env={**os.environ, "HOSTSIM_DISABLE_ADDON_AUTOLOAD": "1", **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _starts(host) -> int:
    with host.sessions() as s:
        return sum(1 for d in s.scalars(select(ActivityLog.description)) if d.startswith(STARTED))


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def sleeper_host(make_host, tmp_path):
    host = make_host(("sleeper", Sleeper()), home=tmp_path / "home")
    assert host.lifecycle.activate("sleeper").status == "success"
    return host


@pytest.mark.slow
def test_two_processes_run_the_task_once(sleeper_host, db_url, tmp_path) -> None:
    barrier = tmp_path / "barrier"
    env = {"HELPER_BARRIER": str(barrier), "HELPER_SLEEP": "30"}
    procs = [_popen(db_url, tmp_path / "home", "cron", "do", "--SolusioAutomation", "-v", env=env) for _ in range(2)]
    try:
        # The holder waits for the barrier; the other one must finish on its own, skipped.
        _wait(lambda: any(p.poll() is not None for p in procs))
        first_done = next(p for p in procs if p.poll() is not None)
        barrier.touch()
        outputs = {}
        for p in procs:
            out, err = p.communicate(timeout=30)
            outputs[p] = (p.returncode, out, err)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    rc, out, err = outputs[first_done]
    assert rc == 0, err
    assert SKIPPED in out
    (other,) = [p for p in procs if p is not first_done]
    rc2, out2, err2 = outputs[other]
    assert rc2 == 0, err2
    assert "SolusioAutomation: success" in out2 and SKIPPED not in out2
    assert _starts(sleeper_host) == 1
    with sleeper_host.sessions() as s:
        assert [r.status for r in s.scalars(select(CronRun).where(CronRun.task_name == "SolusioAutomation"))] == ["success"]


def _start_and_kill_holder(host, db_url: str, home: Path, ttl: str) -> None:
    holder = _popen(db_url, home, "cron", "all", env={"HOSTSIM_CRON_LOCK_TTL": ttl, "HELPER_SLEEP": "60"})
    try:
        _wait(lambda: _starts(host) == 1)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=10)


@pytest.mark.slow
def test_killed_holder_still_blocks_until_expiry(sleeper_host, db_url, tmp_path) -> None:
    home = tmp_path / "home"
    _start_and_kill_holder(sleeper_host, db_url, home, ttl="600")
    second = _popen(db_url, home, "cron", "all", env={"HELPER_SLEEP": "0"})
    out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert SKIPPED in out
    assert _starts(sleeper_host) == 1


@pytest.mark.slow
def test_killed_holder_lock_expires(sleeper_host, db_url, tmp_path) -> None:
    home = tmp_path / "home"
    _start_and_kill_holder(sleeper_host, db_url, home, ttl="1")
    locks = TaskLocks(sleeper_host.engine)
    _wait(lambda: locks.holder("SolusioAutomation") is None, timeout=20)  # the dead holder's claim expires
    third = _popen(db_url, home, "cron", "all", "-v", env={"HELPER_SLEEP": "0"})
    out, err = third.communicate(timeout=30)
    assert third.returncode == 0, err
    assert "SolusioAutomation: success" in out
    assert _starts(sleeper_host) == 2
    with sleeper_host.sessions() as s:
        statuses = [(r.status, r.error) for r in
                    s.scalars(select(CronRun).where(CronRun.task_name == "SolusioAutomation").order_by(CronRun.id))]
    assert statuses[0][0] == "failed" and "interrupted" in statuses[0][1]
    assert statuses[1] == ("success", "")
