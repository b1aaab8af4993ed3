"""``hostsim cron``: the WHMCS ``crons/cron.php`` on the command line.

``all`` runs every enabled task that is due; ``do --TaskA --TaskB`` only those (due or not, so
it has no ``-F``); ``skip --TaskA`` what is due except those. ``-F`` forces ``all`` and ``skip``, ``-v``/``-vv``/``-vvv`` say more,
``--today YYYY-MM-DD`` moves the host clock first. ``list`` shows the tasks and who runs them
now; ``unlock TASK`` releases the lock of a process that is gone.

Exit status: 0 done; 1 a task failed; 2 a usage error; 75 (EX_TEMPFAIL) ``do`` could not run a
task it named because another live process holds its lock. ``all`` and ``skip`` are what the
system crontab runs every few minutes, and cron mails whatever a job prints or any failure: a
task another process is running is not news there, so they exit 0 for it and mention it only
at ``-v``.

A task's lock lasts ``HOSTSIM_CRON_LOCK_TTL`` seconds (90) and the running process renews it
every ``HOSTSIM_CRON_HEARTBEAT`` seconds (a quarter of the TTL), so a live run keeps it however
long it takes and a dead one loses it within the TTL; a process on this host that is gone loses
it at once.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import date, timedelta
from typing import Any, Callable

import click

from hostsim.cli.state import CliError, state
from hostsim.clock import MAX_YEAR, MIN_YEAR, TODAY_ENV
from hostsim.services.worker_processes import MAX_WORKERS

RUN_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True}


def _today(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    from hostsim.cli.state import HostDate

    day: date = HostDate().convert(value, param, ctx)  # strict: four-digit years in the documented range
    # Before anything else reads the clock (building the Host, syncing tasks).
    from hostsim.clock import clock
    clock.set_today(day)
    return day


def run_options(fn: Callable[..., Any], *, force: bool = True) -> Callable[..., Any]:
    if force:  # not on ``do``: it runs what it names, due or not
        fn = click.option("-F", "--force", is_flag=True, help="Run tasks even if they are not due.")(fn)
    fn = click.option("-v", "--verbose", "verbosity", count=True, help="More output (-v, -vv, -vvv).")(fn)
    fn = click.option("--today", metavar="YYYY-MM-DD", callback=_today, is_eager=True,
                      help=f"Run as of this host date, a year from {MIN_YEAR} to {MAX_YEAR} (the same rule as "
                           f"{TODAY_ENV}, which moves the date of every command).")(fn)
    return click.pass_context(fn)


def task_names(args: list[str]) -> list[str]:
    """``--TaskName`` tokens left over by click; anything else is a clear error."""
    names = []
    for token in args:
        if not token.startswith("--") or len(token) < 3 or "=" in token:
            shown = token if token.startswith("-") else f"{token!r}"
            raise CliError(f"unexpected argument {shown}: name tasks as --TaskName")
        names.append(token[2:])
    return names


def _seconds_from_env(variable: str) -> timedelta | None:
    raw = os.environ.get(variable, "")
    if not raw:
        return None
    try:
        seconds = float(raw)
        if not seconds > 0:
            raise ValueError
    except ValueError:
        raise CliError(f"{variable}: expected a positive number of seconds, got {raw!r}") from None
    return timedelta(seconds=seconds)


def lock_ttl() -> timedelta:
    from hostsim.cron.locks import DEFAULT_TTL
    return _seconds_from_env("HOSTSIM_CRON_LOCK_TTL") or DEFAULT_TTL


def heartbeat(ttl: timedelta) -> timedelta:
    from hostsim.cron.locks import default_heartbeat
    every = _seconds_from_env("HOSTSIM_CRON_HEARTBEAT") or default_heartbeat(ttl)
    if every >= ttl:
        raise CliError(f"HOSTSIM_CRON_HEARTBEAT: {every.total_seconds():g} s must be shorter than the lock TTL "
                       f"({ttl.total_seconds():g} s, HOSTSIM_CRON_LOCK_TTL)")
    return every


def run(ctx: click.Context, mode: str, names: list[str], force: bool, verbosity: int,
        today: date | None, workers: int = 1) -> None:
    from hostsim.cron import CronRunner, UnknownTask, WorkersRefused
    from hostsim.cron.runner import TaskStatus

    host = state().host()
    if today is not None and host.clock.today() != today:
        host.clock.set_today(today)  # a Host given its own clock
    ttl = lock_ttl()
    runner = CronRunner(host, verbosity=verbosity, lock_ttl=ttl, heartbeat=heartbeat(ttl), workers=workers)
    # Problems logged during the run (a broken addon hook) reach stderr through the logging the
    # hostsim command configured (--log-level, --log-format), not through a handler of our own.
    try:
        report = runner.run(mode, names, force=force)  # type: ignore[arg-type]
    except UnknownTask as exc:
        raise CliError(f"--{exc.names[0]}: no such cron task (known: {', '.join(exc.known) or 'none'})") from exc
    except WorkersRefused as exc:
        raise CliError(str(exc)) from exc
    if verbosity:
        ran = [o for o in report.outcomes if o.status in (TaskStatus.SUCCESS, TaskStatus.FAILED)]
        click.echo(f"Cron as of {host.clock.today().isoformat()}: {len(ran)} task(s) ran, "
                   f"{len(report.failed)} failed")
    ctx.exit(report.exit_code)


@click.group()
def cron() -> None:
    """Run and inspect cron tasks (like WHMCS's crons/cron.php).

    \b
    Exit status of all, do and skip:
      0   every task run succeeded (or was not due)
      1   a task failed (or the database could not be used)
      2   a usage error (unknown task, bad option)
      75  do only (EX_TEMPFAIL): a task named is running in another
          live process (who, since when and its last heartbeat are
          printed); try again later
    all and skip, run from the system crontab, exit 0 for a task another
    process is running and mention it only at -v: cron mails any output
    or failure, and the other process is doing the work.

    \b
    Locks: a running task renews its lock every HOSTSIM_CRON_HEARTBEAT
    seconds (default: a quarter of the TTL) and the lock lapses after
    HOSTSIM_CRON_LOCK_TTL seconds (default 90) without one. A lock of a
    process on this host that is gone is taken over at once; "unlock"
    releases one by hand.
    """


@cron.command("all", context_settings=RUN_SETTINGS)
@run_options
def all_(ctx: click.Context, force: bool, verbosity: int, today: date | None) -> None:
    """Run every enabled task that is due (-F: all of them)."""
    if ctx.args:
        task_names(ctx.args)  # a clear message for a stray argument
        raise CliError(f"unexpected argument {ctx.args[0]}: 'all' takes no task names (use do or skip)")
    run(ctx, "all", [], force, verbosity, today)


@cron.command("do", context_settings=RUN_SETTINGS)
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=1, show_default=True,
              help="Worker processes for a task that spreads its work (SolusioAutomation's invoicing); "
                   "another host running the same command joins the run in progress. PostgreSQL or "
                   "MariaDB; SQLite runs one.")
@functools.partial(run_options, force=False)
def do(ctx: click.Context, verbosity: int, today: date | None, workers: int) -> None:
    """Run only the tasks named as --TaskName, due or not (so it takes no -F).

    Exit status 75 when a task named is running in another live process (it is skipped), unless
    --workers was given and the task shares its work: then this process joins that run.
    """
    if any(arg in ("-F", "--force") for arg in ctx.args):
        raise CliError("do: -F/--force is not needed: do runs the tasks it names whether they are due or not")
    names = task_names(ctx.args)
    if not names:
        raise CliError("do: name at least one task, e.g. hostsim cron do --PruneLoginFailures")
    run(ctx, "do", names, True, verbosity, today, workers)


@cron.command("skip", context_settings=RUN_SETTINGS)
@run_options
def skip(ctx: click.Context, force: bool, verbosity: int, today: date | None) -> None:
    """Run every due task except those named as --TaskName."""
    run(ctx, "skip", task_names(ctx.args), force, verbosity, today)


@cron.command("list")
def list_tasks() -> None:
    """Tasks with frequency, enabled, last run, last status and counters.

    A task shows as "running" only while a live process holds its lock (who, since when and its
    last heartbeat on the next line); a run whose process is gone shows "stale (owner gone)".
    """
    from sqlalchemy import select

    from hostsim.cron import DAILY_HOOK_TASK, CronRunner
    from hostsim.cron.locks import TaskLocks
    from hostsim.db.models import CronRun, CronRunStatus, CronTask

    host = state().host()
    specs = CronRunner(host).tasks()
    locks = TaskLocks(host.engine)
    with host.sessions() as s:
        rows = {r.name: r for r in s.scalars(select(CronTask))}
        last: dict[str, CronRun] = {}
        for name in [*specs, DAILY_HOOK_TASK]:
            run_row = s.scalars(select(CronRun).where(CronRun.task_name == name)
                                .order_by(CronRun.started_at.desc(), CronRun.id.desc()).limit(1)).first()
            if run_row is not None:
                last[name] = run_row
    tz = host.clock.tz
    click.echo(f"{'TASK':<24} {'MODULE':<10} {'FREQ':>6} {'ENABLED':<8} {'LAST RUN':<17} {'STATUS':<18} COUNTERS")
    for name in sorted(specs, key=lambda n: (specs[n].priority, n)):
        row, run_row = rows.get(name), last.get(name)
        lock = locks.inspect(name)
        when = row.last_run_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row and row.last_run_at else "never"
        status = run_row.status.value if run_row else "-"
        if run_row is not None and run_row.status is CronRunStatus.RUNNING and not (lock and lock.live):
            status = "stale (owner gone)"  # its process died: the next run marks it interrupted
        counters = _counters(run_row.counters) if run_row else ""
        enabled = "yes" if row is None or row.enabled else "no"
        click.echo(f"{name:<24} {specs[name].module or '-':<10} {_freq(specs[name].frequency_minutes):>6} "
                   f"{enabled:<8} {when:<17} {status:<18} {counters}")
        if run_row is not None and run_row.status is CronRunStatus.FAILED and run_row.error:
            click.echo(f"{'':<24} error: {run_row.error.splitlines()[0][:200]}")
        if lock is not None and lock.live:
            click.echo(f"{'':<24} running: {lock.describe()}")
        elif lock is not None:
            click.echo(f"{'':<24} stale lock (owner gone): {lock.describe()}; the next run takes it over")
    daily = rows.get(DAILY_HOOK_TASK)
    fired = daily.last_run_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if daily and daily.last_run_at else "never"
    click.echo(f"DailyCronJob hook last fired: {fired}")


def _freq(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _counters(raw: str) -> str:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return raw
    return " ".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else raw


def _set_enabled(name: str, enabled: bool) -> None:
    from hostsim.cron import CronRunner
    from hostsim.db.models import CronTask

    host = state().host()
    specs = CronRunner(host).tasks()
    if name not in specs:
        raise CliError(f"NAME {name!r}: no such cron task (known: {', '.join(sorted(specs)) or 'none'})")
    with host.transaction() as s:
        row = s.get_one(CronTask, name)
        row.enabled = enabled
        host.activity.log(f"Cron task {name} {'enabled' if enabled else 'disabled'}", actor="CLI", session=s)
    click.echo(f"{name} {'enabled' if enabled else 'disabled'}.")


@cron.command()
@click.argument("name")
def enable(name: str) -> None:
    """Let "cron all" run task NAME again."""
    _set_enabled(name, True)


@cron.command()
@click.argument("name")
def disable(name: str) -> None:
    """Keep "cron all" from running task NAME ("do --NAME" still runs it)."""
    _set_enabled(name, False)


_UNLOCK_REASONS = {
    "dead": "its process is gone",
    "expired": "its heartbeat had stopped",
    "live": "forced while its owner still heartbeats",
}


@cron.command()
@click.argument("name")
@click.option("--force", is_flag=True, help="Release it even while its owner heartbeats (it may still be running).")
def unlock(name: str, force: bool) -> None:
    """Release the lock on task NAME left by a process that is gone.

    The owner counts as gone when it ran on this host and its PID no longer exists, or when its
    heartbeat stopped (the lock expired). While the owner still heartbeats NAME is left locked
    (exit status 1) unless --force. What was done goes to the activity log.
    """
    from sqlalchemy import update

    from hostsim.cron import DAILY_HOOK_TASK, CronRunner
    from hostsim.cron.locks import TaskLocks
    from hostsim.db.models import CronRun, CronRunStatus

    host = state().host()
    known = [*CronRunner(host).tasks(), DAILY_HOOK_TASK]
    task = next((k for k in known if k.lower() == name.lower()), None)
    if task is None:
        raise CliError(f"NAME {name!r}: no such cron task (known: {', '.join(sorted(known))})")
    locks = TaskLocks(host.engine)
    info = locks.inspect(task)
    if info is None:
        click.echo(f"{task} is not locked; nothing to do.")
        return
    held = info.describe()
    if info.live and not force:
        raise click.ClickException(f"{task} is held by a live process: {held}; left locked. Stop that process first, "
                                   "or use --force if it hangs")
    if not locks.release_owner(task, info.owner):
        raise click.ClickException(f"the lock on {task} changed hands meanwhile; see 'hostsim cron list' and try again")
    reason = _UNLOCK_REASONS[info.state]
    with host.transaction() as s:
        if not info.live:
            # The run that process left "running" will never finish.
            s.execute(update(CronRun).where(CronRun.task_name == task, CronRun.status == CronRunStatus.RUNNING)
                      .values(status=CronRunStatus.FAILED, error="interrupted: its lock was released by hand "
                                                                 "(the process running it was gone)"))
        host.activity.log(f"Cron lock {task} released by hand: it was held by {held}; {reason}", actor="CLI", session=s)
    click.echo(f"Unlocked {task}: it was held by {held}; {reason}.")
