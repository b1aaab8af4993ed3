"""Two cron processes never run one task at once; the lock of a process that died is recovered
at once on its own host, and by expiry elsewhere; a live holder keeps its lock by heartbeat."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from hostsim.cron.locks import LockInfo, TaskLocks, new_owner, parse_owner, pid_alive, this_host
from hostsim.cron.runner import EX_TEMPFAIL
from hostsim.db.models import ActivityLog, CronLock, CronRun
from tests.cron.helper_cli import STARTED, Sleeper

REPO = Path(__file__).resolve().parents[2]
SKIPPED = "SolusioAutomation is already running elsewhere"
UTC = timezone.utc


class FakeWallClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def dead_pid() -> int:
    """The PID of a process of ours that has ended (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def lock_row(host, name: str = "T") -> CronLock:
    with host.sessions() as s:
        return s.get_one(CronLock, name)


def test_lock_claims_in_process(host) -> None:
    a = TaskLocks(host.engine, owner="a", ttl=timedelta(seconds=60))
    b = TaskLocks(host.engine, owner="b", ttl=timedelta(seconds=60))
    assert a.acquire("T")
    assert not b.acquire("T")
    assert not a.acquire("T")  # not re-entrant either
    assert a.holder("T").owner == "a"
    assert a.renew("T") and not b.renew("T")
    b.release("T")  # not ours: no effect
    assert not b.acquire("T")
    a.release("T")
    assert a.holder("T") is None and a.inspect("T") is None
    assert b.acquire("T")


def test_expired_lock_is_taken_over(host) -> None:
    a = TaskLocks(host.engine, owner="a", ttl=timedelta(seconds=-1))  # expired at once
    b = TaskLocks(host.engine, owner="b")
    assert a.acquire("T")
    assert a.inspect("T").state == "expired" and a.holder("T") is None
    assert b.acquire("T")
    assert not a.renew("T")  # a lost it
    assert lock_row(host).owner == "b"


def test_a_claim_records_since_and_last_heartbeat(host) -> None:
    wall = FakeWallClock()
    locks = TaskLocks(host.engine, owner="a", ttl=timedelta(seconds=90), now=wall)
    t0 = wall.now
    assert locks.acquire("T")
    row = lock_row(host)
    assert (row.acquired_at, row.heartbeat_at, row.expires_at) == (t0, t0, t0 + timedelta(seconds=90))
    wall.now = t0 + timedelta(seconds=25)
    assert locks.renew("T")
    row = lock_row(host)
    assert (row.acquired_at, row.heartbeat_at, row.expires_at) == (t0, wall.now, wall.now + timedelta(seconds=90))
    locks.release("T")
    row = lock_row(host)
    assert (row.owner, row.acquired_at, row.heartbeat_at, row.expires_at) == ("", None, None, None)


def test_owners_name_host_and_pid() -> None:
    assert parse_owner("web-1:4242:0123abcd") == ("web-1", 4242)
    assert parse_owner("a") == ("a", None)
    assert parse_owner(new_owner()) == (this_host(), os.getpid())


def test_pid_alive_sees_live_dead_and_zombie_processes() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(dead_pid())
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while pid_alive(zombie.pid):  # ended but not reaped yet: a zombie runs nothing
            assert time.monotonic() < deadline, "the child never ended"
            time.sleep(0.02)
    finally:
        zombie.wait()


def test_the_lock_of_a_dead_process_on_this_host_is_taken_over_at_once(host, caplog) -> None:
    gone = f"{this_host()}:{dead_pid()}:0123abcd"
    TaskLocks(host.engine, owner=gone, ttl=timedelta(hours=2)).acquire("T")  # killed while it held T
    b = TaskLocks(host.engine, owner=f"{this_host()}:{os.getpid()}:b")
    assert b.inspect("T").state == "dead" and b.holder("T") is None
    with caplog.at_level(logging.WARNING, logger="hostsim.cron.locks"):
        assert b.acquire("T")
    assert lock_row(host).owner == b.owner
    assert "took over the lock of PID" in caplog.text and "which is gone" in caplog.text


def test_a_live_or_remote_owner_keeps_its_lock(host) -> None:
    me = TaskLocks(host.engine, owner=f"{this_host()}:{os.getpid()}:mine", ttl=timedelta(hours=2))
    assert me.acquire("Mine")
    # Another host's PID means nothing here: only its expiry frees its claim.
    remote = TaskLocks(host.engine, owner=f"elsewhere-{this_host()}:{dead_pid()}:abc", ttl=timedelta(hours=2))
    assert remote.acquire("Theirs")
    other = TaskLocks(host.engine)
    assert not other.acquire("Mine") and not other.acquire("Theirs")
    assert other.inspect("Mine").state == other.inspect("Theirs").state == "live"


def test_the_takeover_replaces_only_the_claim_it_saw(host, monkeypatch) -> None:
    """Two processes recover one dead claim: the second one's UPDATE names the dead owner,
    which is no longer there, so it gets nothing."""
    gone = f"{this_host()}:{dead_pid()}:dead"
    TaskLocks(host.engine, owner=gone, ttl=timedelta(hours=2)).acquire("T")
    first, second = TaskLocks(host.engine), TaskLocks(host.engine)
    seen = second.inspect("T")  # second saw the dead owner...
    assert first.acquire("T")  # ...then first took the lock over
    monkeypatch.setattr(second, "inspect", lambda name: seen)
    assert not second.acquire("T")
    assert lock_row(host).owner == first.owner


def test_describe_names_host_pid_since_and_heartbeat() -> None:
    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    info = LockInfo("T", "web-9:4242:x", "web-9", 4242, t0, t0 + timedelta(seconds=30), t0 + timedelta(minutes=2), "live")
    text = info.describe(now=t0 + timedelta(seconds=42))
    assert text == ("host web-9, PID 4242, since 2026-12-01 12:00:00 UTC, "
                    "last heartbeat 2026-12-01 12:00:30 UTC (12 s ago)")


# --- real processes ----------------------------------------------------------------------------


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


def _runs(host) -> list[tuple[str, str]]:
    with host.sessions() as s:
        return [(r.status, r.error) for r in
                s.scalars(select(CronRun).where(CronRun.task_name == "SolusioAutomation").order_by(CronRun.id))]


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
    (other,) = [p for p in procs if p is not first_done]
    rc, out, err = outputs[first_done]
    # Skipped, not done: a distinct status, and who holds the lock.
    assert rc == EX_TEMPFAIL, (out, err)
    assert f"{SKIPPED}: host {this_host()} (this host), PID {other.pid}, since " in err and "last heartbeat" in err
    rc2, out2, err2 = outputs[other]
    assert rc2 == 0, err2
    assert "SolusioAutomation: success" in out2 and SKIPPED not in out2 + err2
    assert _starts(sleeper_host) == 1
    assert [status for status, _error in _runs(sleeper_host)] == ["success"]


@pytest.mark.slow
def test_a_killed_holder_is_recovered_by_an_immediate_rerun(sleeper_host, cli, db_url, tmp_path) -> None:
    """kill -9 mid-run with a lock TTL of an hour: the next run takes the lock over at once
    (its owner's PID is gone on this host), runs the task, and marks the cut-off run."""
    home = tmp_path / "home"
    holder = _popen(db_url, home, "cron", "do", "--SolusioAutomation",
                    env={"HOSTSIM_CRON_LOCK_TTL": "3600", "HELPER_SLEEP": "60"})
    try:
        _wait(lambda: _starts(sleeper_host) == 1)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=10)
    assert holder.returncode == -signal.SIGKILL
    listing = cli(sleeper_host, "cron", "list")
    line = next(row for row in listing.stdout.splitlines() if row.startswith("SolusioAutomation"))
    assert "stale (owner gone)" in line and " running " not in line, listing.stdout
    assert f"stale lock (owner gone): host {this_host()} (this host), PID {holder.pid}," in listing.stdout

    rerun = _popen(db_url, home, "cron", "do", "--SolusioAutomation", "-v",
                   env={"HOSTSIM_CRON_LOCK_TTL": "3600", "HELPER_SLEEP": "0"})
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert "SolusioAutomation: success" in out and SKIPPED not in out + err
    assert f"took over the lock of PID {holder.pid} on this host, which is gone" in err
    assert _starts(sleeper_host) == 2
    (first, second) = _runs(sleeper_host)
    assert first[0] == "failed" and "interrupted" in first[1]
    assert second == ("success", "")
    assert TaskLocks(sleeper_host.engine).inspect("SolusioAutomation") is None


@pytest.mark.slow
def test_a_live_run_longer_than_the_ttl_keeps_its_lock(sleeper_host, db_url, tmp_path) -> None:
    """The task never beats the heartbeat itself (it sleeps on a barrier); the runner's thread
    renews the lock, so a second run well past the TTL is still skipped."""
    home, barrier = tmp_path / "home", tmp_path / "barrier"
    fast = {"HOSTSIM_CRON_LOCK_TTL": "1", "HOSTSIM_CRON_HEARTBEAT": "0.1"}
    holder = _popen(db_url, home, "cron", "do", "--SolusioAutomation", "-v",
                    env={**fast, "HELPER_SLEEP": "120", "HELPER_BARRIER": str(barrier)})
    try:
        _wait(lambda: _starts(sleeper_host) == 1)
        acquired = lock_row(sleeper_host, "SolusioAutomation").acquired_at

        def renewed_past_the_ttl() -> bool:
            beat = lock_row(sleeper_host, "SolusioAutomation").heartbeat_at
            return beat is not None and beat - acquired > timedelta(seconds=3)

        _wait(renewed_past_the_ttl)
        second = _popen(db_url, home, "cron", "do", "--SolusioAutomation", env={**fast, "HELPER_SLEEP": "0"})
        out2, err2 = second.communicate(timeout=60)
        barrier.touch()
        out, err = holder.communicate(timeout=60)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert second.returncode == EX_TEMPFAIL and SKIPPED in err2, (out2, err2)
    assert holder.returncode == 0 and "SolusioAutomation: success" in out, err
    assert "lost its lock" not in err
    assert _starts(sleeper_host) == 1
    assert [status for status, _error in _runs(sleeper_host)] == ["success"]
