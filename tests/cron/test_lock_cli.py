"""What the admin sees of task locks: a skipped run names the holder and has its own exit
status, ``cron list`` tells a live run from a dead one, ``cron unlock`` frees a dead owner's
lock; and the runner's heartbeat keeps a busy task's lock without the task's help."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta, timezone

import pytest
from sqlalchemy import select, update

from hostsim.cron import CronRunner
from hostsim.cron.locks import TaskLocks, pid_alive, this_host
from hostsim.cron.runner import EX_TEMPFAIL
from hostsim.db.models import ActivityLog, CronLock, CronRun, CronRunStatus, CronTask
from tests.fake_addons import CronAddon as Demo

UTC = timezone.utc
HELD = "DemoTask is already running elsewhere: host far-away, PID 4242, since "


def active_host(make_host, *addons):
    host = make_host(*[(a.name, a) for a in addons])
    for a in addons:
        assert host.lifecycle.activate(a.name).status == "success"
    return host


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def hold(host, owner: str, name: str = "DemoTask", ttl: timedelta = timedelta(hours=1)) -> TaskLocks:
    locks = TaskLocks(host.engine, owner=owner, ttl=ttl)
    assert locks.acquire(name)
    return locks


def lock_row(host, name: str = "DemoTask") -> CronLock:
    with host.sessions() as s:
        return s.get_one(CronLock, name)


def activity(host) -> list[tuple[str, str]]:
    with host.sessions() as s:
        return [(a.actor, a.description) for a in s.scalars(select(ActivityLog).order_by(ActivityLog.id))]


# --- a skipped run ------------------------------------------------------------------------------


def test_do_skipped_by_a_live_holder_says_who_and_exits_75(make_host, cli) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    hold(host, "far-away:4242:abc")
    result = cli(host, "cron", "do", "--DemoTask")
    assert result.exit_code == EX_TEMPFAIL == 75
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(HELD) and "last heartbeat" in line and line.endswith("; skipped"), line
    assert "task:DemoTask" not in " ".join(demo.events)
    assert [o for o in CronRunner(host).run("do", ["DemoTask"]).outcomes if o.status == "locked"]


def test_a_failure_outranks_a_skip(make_host, cli) -> None:
    from tests.fake_addons import failing, ok
    host = active_host(make_host, Demo(tasks={"DemoTask": ok, "Broken": failing}))
    hold(host, "far-away:4242:abc")
    result = cli(host, "cron", "do", "--DemoTask", "--Broken")
    assert result.exit_code == 1
    assert HELD in result.stderr and "Broken failed" in result.stderr


def test_cron_all_is_quiet_about_a_skip_and_exits_0(make_host, cli) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    hold(host, "far-away:4242:abc")
    quiet = cli(host, "cron", "all")
    assert (quiet.exit_code, quiet.output) == (0, "")
    verbose = cli(host, "cron", "all", "-v")
    assert verbose.exit_code == 0 and HELD in verbose.stdout and verbose.stderr == ""
    skip = cli(host, "cron", "skip", "--PruneLoginFailures")
    assert (skip.exit_code, skip.output) == (0, "")
    assert "task:DemoTask" not in " ".join(demo.events)


def test_help_documents_the_exit_statuses(host, cli) -> None:
    text = cli(host, "cron", "--help").output
    for needle in ("0   every task run succeeded", "1   a task failed", "75  do only (EX_TEMPFAIL)",
                   "all and skip, run from the system crontab, exit 0", "HOSTSIM_CRON_LOCK_TTL",
                   "HOSTSIM_CRON_HEARTBEAT"):
        assert needle in text, needle
    assert "unlock" in text


def test_a_heartbeat_not_shorter_than_the_ttl_is_refused(host, cli, monkeypatch) -> None:
    monkeypatch.setenv("HOSTSIM_CRON_LOCK_TTL", "10")
    monkeypatch.setenv("HOSTSIM_CRON_HEARTBEAT", "10")
    result = cli(host, "cron", "all")
    assert result.exit_code == 2 and "HOSTSIM_CRON_HEARTBEAT: 10 s must be shorter than the lock TTL" in result.stderr
    monkeypatch.setenv("HOSTSIM_CRON_HEARTBEAT", "soon")
    result = cli(host, "cron", "all")
    assert result.exit_code == 2 and "HOSTSIM_CRON_HEARTBEAT: expected a positive number of seconds" in result.stderr
    assert "Traceback" not in result.output
    with pytest.raises(ValueError, match="shorter than the lock TTL"):
        CronRunner(host, lock_ttl=timedelta(seconds=5), heartbeat=timedelta(seconds=6))


# --- cron list ----------------------------------------------------------------------------------


def _running_run(host, name: str = "DemoTask") -> None:
    now = host.clock.now()
    with host.transaction() as s:
        s.add(CronRun(task_name=name, as_of=now.date(), started_at=now, status=CronRunStatus.RUNNING,
                      counters="{}", output="", error=""))


def _listed(cli, host, name: str = "DemoTask") -> tuple[str, list[str]]:
    listing = cli(host, "cron", "list")
    assert listing.exit_code == 0, listing.output
    lines = listing.stdout.splitlines()
    at = next(i for i, row in enumerate(lines) if row.startswith(name))
    extra = []
    for row in lines[at + 1:]:
        if not row.startswith(" "):
            break
        extra.append(row.strip())
    return lines[at], extra


def test_list_shows_running_only_while_the_lock_is_live(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    CronRunner(host).tasks()  # the task rows
    _running_run(host)
    hold(host, f"{this_host()}:{os.getpid()}:live")
    line, extra = _listed(cli, host)
    assert line.split()[5] == "running"
    assert extra[0].startswith(f"running: host {this_host()} (this host), PID {os.getpid()}, since ")

    with host.transaction() as s:  # the holder died: its claim is still there, its PID is not
        s.execute(update(CronLock).values(owner=f"{this_host()}:{dead_pid()}:gone"))
    line, extra = _listed(cli, host)
    assert "stale (owner gone)" in line and "running" not in line
    assert extra[0].startswith("stale lock (owner gone): host ") and extra[0].endswith("the next run takes it over")

    with host.transaction() as s:  # released, yet the run row still says running
        s.execute(update(CronLock).values(owner="", expires_at=None))
    line, extra = _listed(cli, host)
    assert "stale (owner gone)" in line and extra == []


# --- cron unlock --------------------------------------------------------------------------------


def test_unlock_releases_the_lock_of_a_dead_process(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    CronRunner(host).tasks()
    _running_run(host)
    pid = dead_pid()
    hold(host, f"{this_host()}:{pid}:gone")
    result = cli(host, "cron", "unlock", "demotask")
    assert result.exit_code == 0, result.output
    said = result.stdout.strip()
    assert said.startswith(f"Unlocked DemoTask: it was held by host {this_host()} (this host), PID {pid}, since ")
    assert said.endswith("; its process is gone.")
    assert lock_row(host).owner == ""
    ((actor, description),) = [e for e in activity(host) if "Cron lock" in e[1]]
    assert actor == "CLI" and description.startswith(f"Cron lock DemoTask released by hand: it was held by host {this_host()}")
    with host.sessions() as s:
        (run,) = s.scalars(select(CronRun).where(CronRun.task_name == "DemoTask"))
    assert run.status == "failed" and "released by hand" in run.error
    again = cli(host, "cron", "unlock", "DemoTask")
    assert (again.exit_code, again.stdout) == (0, "DemoTask is not locked; nothing to do.\n")


def test_unlock_refuses_a_live_owner_unless_forced(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    for owner in (f"{this_host()}:{os.getpid()}:alive", "far-away:4242:abc"):
        holder = hold(host, owner)
        refused = cli(host, "cron", "unlock", "DemoTask")
        assert refused.exit_code == 1, refused.output
        assert "DemoTask is held by a live process: host " in refused.stderr and "left locked" in refused.stderr
        assert lock_row(host).owner == owner
        forced = cli(host, "cron", "unlock", "DemoTask", "--force")
        assert forced.exit_code == 0 and forced.stdout.strip().endswith("forced while its owner still heartbeats.")
        assert lock_row(host).owner == ""
        assert not holder.renew("DemoTask")  # the owner learns at its next heartbeat
    assert len([e for e in activity(host) if "Cron lock DemoTask released by hand" in e[1]]) == 2


def test_unlock_releases_a_remote_owner_whose_heartbeat_stopped(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    hold(host, "far-away:4242:abc", ttl=timedelta(seconds=-1))
    result = cli(host, "cron", "unlock", "DemoTask")
    assert result.exit_code == 0 and result.stdout.strip().endswith("its heartbeat had stopped.")


def test_unlock_of_an_unknown_task(host, cli) -> None:
    result = cli(host, "cron", "unlock", "Nope")
    assert result.exit_code == 2 and "NAME 'Nope': no such cron task" in result.stderr


# --- the heartbeat ------------------------------------------------------------------------------


def test_the_runner_beats_while_a_task_never_does(make_host) -> None:
    """A task busy for longer than the lock TTL (without calling heartbeat or progress) keeps
    its lock: another process cannot claim it, and heartbeat_at moves while it runs."""
    seen: dict[str, object] = {}
    ttl = timedelta(seconds=0.5)

    def busy(ctx) -> None:
        other = TaskLocks(host.engine)
        first = lock_row(host, "Busy")
        deadline = time.monotonic() + 60
        # Wait (not measured) until the claim has been renewed past two TTLs after it was taken.
        while (lock_row(host, "Busy").heartbeat_at or first.acquired_at) - first.acquired_at < 2 * ttl:
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.02)
        seen["other_got_it"] = other.acquire("Busy")
        seen["threads"] = [t.name for t in threading.enumerate() if t.name.startswith("cron-heartbeat-")]

    host = active_host(make_host, Demo(tasks={"Busy": busy}))
    report = CronRunner(host, lock_ttl=ttl, heartbeat=timedelta(seconds=0.05)).run("do", ["Busy"])
    assert report.status_of("Busy") == "success"
    assert seen == {"other_got_it": False, "threads": ["cron-heartbeat-Busy"]}
    # Stopped with the task, and the lock released.
    assert not [t for t in threading.enumerate() if t.name.startswith("cron-heartbeat-")]
    assert lock_row(host, "Busy").owner == ""


def test_ctx_heartbeat_and_progress_still_renew_and_report_a_lost_lock(make_host, cli) -> None:
    beats: list[bool] = []

    def long_task(ctx) -> None:
        before = lock_row(host, "Long").heartbeat_at
        assert ctx.heartbeat()
        assert lock_row(host, "Long").heartbeat_at > before
        ctx.heartbeat_every = 0  # every item of progress beats
        for _ in ctx.progress(range(3), label="items"):
            beats.append(True)
        TaskLocks(host.engine).release_owner("Long", lock_row(host, "Long").owner)  # unlocked by hand
        beats.append(ctx.heartbeat())

    host = active_host(make_host, Demo(tasks={"Long": long_task}))
    result = cli(host, "cron", "do", "--Long")
    assert result.exit_code == 0, result.output
    assert beats == [True, True, True, False]


def test_the_heartbeat_thread_notices_a_lost_lock(make_host, cli, monkeypatch) -> None:
    monkeypatch.setenv("HOSTSIM_CRON_HEARTBEAT", "0.05")

    def stolen(ctx) -> None:
        TaskLocks(host.engine).release_owner("Stolen", lock_row(host, "Stolen").owner)
        deadline = time.monotonic() + 60
        while "lost" not in seen:  # until the runner's thread has seen it
            assert time.monotonic() < deadline
            time.sleep(0.02)

    seen: dict[str, bool] = {}
    import hostsim.cron.locks as locks_module
    original = locks_module.Heartbeat._beat

    def watched(self) -> None:  # type: ignore[no-untyped-def]
        original(self)
        if self.lost:
            seen["lost"] = True

    monkeypatch.setattr(locks_module.Heartbeat, "_beat", watched)
    host = active_host(make_host, Demo(tasks={"Stolen": stolen}))
    result = cli(host, "cron", "do", "--Stolen")
    assert result.exit_code == 0
    assert "warning: Stolen lost its lock while it ran" in result.stderr
    assert "Stolen: lost its lock" in result.stderr  # the thread's log record


def test_the_daily_hook_runs_under_a_heartbeat_too(make_host) -> None:
    from hostsim.clock import clock
    demo = Demo()
    host = active_host(make_host, demo)
    clock.set_today(date(2026, 8, 1))
    report = CronRunner(host, lock_ttl=timedelta(seconds=1), heartbeat=timedelta(seconds=0.2)).run("all")
    assert report.daily_hook_fired and "daily:2026-08-01" in demo.events
    with host.sessions() as s:
        assert s.get_one(CronTask, "DailyCronJob").last_run_at is not None
        assert s.get_one(CronLock, "DailyCronJob").owner == ""
