"""One cron invocation: hooks, due tasks under their locks, a ``CronRun`` per task.

Order of one invocation::

    pre_cron_job -> each selected task (priority, then name) -> daily_cron_job (first
    invocation of the host day only) -> after_cron_job

* A task runs only while this process holds its lock (:mod:`hostsim.cron.locks`), renewed by a
  heartbeat thread while it runs. A task whose lock another live process holds is skipped
  (``locked``), with who holds it: not a failure, but ``do`` exits ``EX_TEMPFAIL`` (75) for it,
  since the task named did not run; ``all`` and ``skip`` (the crontab's) exit 0 and say nothing
  of it below ``-v``. A lock left by a process that died is recovered (see the locks module).
* A task fails by raising or by leaving ``ctx.counters["failed"]`` non-zero; the others still
  run, and the invocation's exit code is 1.
* Each run is a ``CronRun`` row (as-of date, times, status, counters JSON, error message, and
  in ``output`` what the task said plus a truncated traceback). ``last_run_at`` of the task is
  set to the run's start whether it succeeded or failed: a task never runs more often than its
  frequency; ``do --Task`` retries at once.
* Daily-hook bookkeeping: the pseudo task row ``DailyCronJob`` (never runnable) holds in
  ``last_run_at`` when the hook last fired, and each firing is a ``CronRun`` of it. The check
  and the firing happen under the ``DailyCronJob`` lock, so two processes never both fire it.
"""

from __future__ import annotations

import enum
import json
import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

import click
from sqlalchemy import select, update

from hostsim.cron.context import CronContext, CronTaskSpec
from hostsim.cron.locks import DEFAULT_TTL, Heartbeat, TaskLocks, default_heartbeat
from hostsim.cron.registry import (
    DAILY_HOOK_TASK,
    UnknownTask,
    WorkersRefused,
    collect_tasks,
    is_due,
    sync_tasks,
)
from hostsim.db.models import CronRun, CronRunStatus, CronTask
from hostsim.logs import cron_context

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)

Mode = Literal["all", "do", "skip"]
#: Exit status of ``cron do`` when a task named was skipped because another process runs it
#: (sysexits.h EX_TEMPFAIL: try again later).
EX_TEMPFAIL = 75
OUTPUT_LIMIT = 16_000  # characters; fits a MariaDB TEXT column even in 4-byte UTF-8
ERROR_LIMIT = 2_000


class TaskStatus(enum.StrEnum):
    """What one invocation did with a task; a run that happened is also a ``CronRun``."""

    SUCCESS = "success"
    FAILED = "failed"
    LOCKED = "locked"  # another live process holds the task's lock
    NOT_DUE = "not-due"


@dataclass
class TaskOutcome:
    name: str
    status: TaskStatus
    counters: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


@dataclass
class CronReport:
    outcomes: list[TaskOutcome] = field(default_factory=list)
    daily_hook_fired: bool = False
    mode: Mode = "all"

    @property
    def failed(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.status is TaskStatus.FAILED]

    @property
    def locked(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.status is TaskStatus.LOCKED]

    @property
    def exit_code(self) -> int:
        """1 when a task failed; else ``EX_TEMPFAIL`` when ``do`` could not run a task it was
        asked for (another process holds its lock); else 0. In ``all`` and ``skip`` a locked task
        is no failure: the crontab runs them every few minutes, and the holder is doing the work."""
        if self.failed:
            return 1
        if self.mode == "do" and self.locked:
            return EX_TEMPFAIL
        return 0

    def status_of(self, name: str) -> TaskStatus | None:
        return next((o.status for o in self.outcomes if o.name == name), None)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else "...(truncated)...\n" + text[-(limit - 20):]


def _failed_count(counters: dict[str, Any]) -> bool:
    value = counters.get("failed")
    try:
        return value is not None and float(value) != 0
    except (TypeError, ValueError):
        return bool(value)


def counters_text(counters: dict[str, Any]) -> str:
    """Stored counters for people: ``invoiced: 3; amounts: USD 12.50``. Zeros and empty ones
    are left out, so a run with nothing to report says nothing rather than ``amounts={}``."""
    parts = []
    for key, value in counters.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k} {v}" for k, v in value.items() if v not in (0, "0", None, "", [], {}))
        elif isinstance(value, list):
            shown = f"{len(value)}" if value else ""
        else:
            shown = "" if value in (0, "0", None, "") else str(value)
        if shown:
            parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


class CronRunner:
    """Runs cron tasks for ``host``. ``echo`` prints normal output, ``echo_err`` problems."""

    def __init__(self, host: "Host", *, verbosity: int = 0, echo: Callable[[str], None] | None = None,
                 echo_err: Callable[[str], None] | None = None, lock_ttl: timedelta = DEFAULT_TTL,
                 heartbeat: timedelta | None = None, is_tty: bool | None = None, workers: int = 1) -> None:
        self.host = host
        self.workers = workers
        self.verbosity = verbosity
        self.echo = echo or click.echo
        self.echo_err = echo_err or (lambda msg: click.echo(msg, err=True))
        self.locks = TaskLocks(host.engine, ttl=lock_ttl)
        self.heartbeat = heartbeat if heartbeat is not None else default_heartbeat(lock_ttl)
        if not timedelta(0) < self.heartbeat < lock_ttl:
            raise ValueError(f"the heartbeat ({self.heartbeat.total_seconds():g} s) must be positive and shorter "
                             f"than the lock TTL ({lock_ttl.total_seconds():g} s)")
        self.is_tty = sys.stdout.isatty() if is_tty is None else is_tty

    # --- what exists ----------------------------------------------------------------------

    def tasks(self) -> dict[str, CronTaskSpec]:
        specs = collect_tasks(self.host, warn=lambda m: self.echo_err(f"warning: {m}"))
        sync_tasks(self.host, specs)
        return specs

    def _rows(self) -> dict[str, CronTask]:
        with self.host.sessions() as s:
            return {r.name: r for r in s.scalars(select(CronTask))}

    def _context(self, force: bool, task: str = "", workers: int = 1) -> CronContext:
        return CronContext(today=self.host.clock.today(), verbosity=self.verbosity, force=force, echo=self.echo,
                           task_name=task, is_tty=self.is_tty, heartbeat_every=self.heartbeat.total_seconds(),
                           workers=workers)

    def _due(self, row: CronTask | None) -> bool:
        if row is None:
            return True
        return is_due(row.last_run_at, row.frequency_minutes, self.host.clock.now(), self.host.clock.tz)

    # --- one invocation -------------------------------------------------------------------

    def run(self, mode: Mode = "all", names: Sequence[str] = (), force: bool = False) -> CronReport:
        specs = self.tasks()
        by_lower = {n.lower(): n for n in specs}
        wanted = list(dict.fromkeys(n if n in specs else by_lower.get(n.lower(), n) for n in names))
        unknown = [n for n in wanted if n not in specs]
        if unknown:
            raise UnknownTask(unknown, sorted(specs))
        single = [n for n in wanted if specs[n].join is None]
        if self.workers > 1 and (mode != "do" or single):
            raise WorkersRefused(f"--workers: {', '.join(single) or 'cron ' + mode} runs in one process; only "
                                 f"tasks that spread their work take --workers (with cron do)")
        if mode == "do":
            force = True
        elif mode != "all" and mode != "skip":
            raise ValueError(f"unknown cron mode {mode!r}")

        report = CronReport(mode=mode)
        hook_ctx = self._context(force)
        self.host.addons.pre_cron_job(hook_ctx)

        rows = self._rows()
        if mode == "do":
            selected = wanted
        else:
            skipped = set(wanted) if mode == "skip" else set()
            selected = [n for n in specs if n not in skipped and (rows.get(n) is None or rows[n].enabled)]
            for name in sorted(skipped):
                self._say(1, f"{name}: skipped as asked")
        order = sorted(selected, key=lambda n: (specs[n].priority, n))
        for name in order:
            if not force and not self._due(rows.get(name)):
                self._say(2, f"{name}: not due")
                report.outcomes.append(TaskOutcome(name, TaskStatus.NOT_DUE))
                continue
            report.outcomes.append(self._run_task(specs[name], force, mode))

        report.daily_hook_fired = self._daily_hook(hook_ctx)
        self.host.addons.after_cron_job(hook_ctx)
        return report

    def _say(self, level: int, message: str) -> None:
        if self.verbosity >= level:
            self.echo(message)

    def _run_task(self, spec: CronTaskSpec, force: bool, mode: Mode = "all") -> TaskOutcome:
        name = spec.name
        if not self.locks.acquire(name):
            if self.workers > 1 and spec.join is not None:
                return self._join(spec, force)
            return self._skipped(name, mode)
        try:
            # Another process may have finished it between our look and our claim.
            with self.host.sessions() as s:
                row = s.get(CronTask, name)
            if not force and not self._due(row):
                self._say(2, f"{name}: not due (ran elsewhere just now)")
                return TaskOutcome(name, TaskStatus.NOT_DUE)
            with Heartbeat(self.locks, name, self.heartbeat) as beat:
                outcome = self._execute(spec, force)
            if beat.lost:
                self.echo_err(f"warning: {name} lost its lock while it ran (another process may have run it too)")
            return outcome
        finally:
            self.locks.release(name)

    def _join(self, spec: CronTaskSpec, force: bool) -> TaskOutcome:
        """Work on the run another live process holds (the task shares its work through the
        database). The run is that process's: it records the ``CronRun``; this is a helper."""
        name = spec.name
        info = self.locks.inspect(name)
        self._say(1, f"{name}: joining the run of {info.describe() if info else 'another process'} "
                     f"with {self.workers} worker(s)")
        ctx = self._context(force, name, self.workers)
        t0 = time.monotonic()
        try:
            with cron_context(None, name):
                spec.join(ctx)  # type: ignore[misc]  # checked by the caller
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.exception("%s: joining failed", name)
            self.echo_err(f"{name} (joined) failed: {error}")
            return TaskOutcome(name, TaskStatus.FAILED, ctx.counters, error, time.monotonic() - t0)
        seconds = time.monotonic() - t0
        self._say(1, f"{name}: joined run done in {seconds:.1f}s")
        return TaskOutcome(name, TaskStatus.SUCCESS, ctx.counters, "", seconds)

    def _skipped(self, name: str, mode: Mode) -> TaskOutcome:
        """A task another live process holds: who holds it, on stderr for ``do`` (which exits
        ``EX_TEMPFAIL`` for it), at ``-v`` for the crontab's ``all`` and ``skip``."""
        info = self.locks.inspect(name)
        held = f"already running elsewhere: {info.describe()}" if info else "locked by another process a moment ago"
        message = f"{name} is {held}; skipped"
        log.info("%s", message)
        if mode == "do":
            self.echo_err(message)
        else:
            self._say(1, message)
        return TaskOutcome(name, TaskStatus.LOCKED, error=message)

    def _execute(self, spec: CronTaskSpec, force: bool) -> TaskOutcome:
        name, host = spec.name, self.host
        started = host.clock.now()
        with host.transaction() as s:
            # We hold the lock, so any run still marked running was cut off (a killed process).
            s.execute(update(CronRun).where(CronRun.task_name == name, CronRun.status == CronRunStatus.RUNNING)
                      .values(status=CronRunStatus.FAILED, error="interrupted: the process running it stopped"))
            run = CronRun(task_name=name, as_of=host.clock.today(), started_at=started, status=CronRunStatus.RUNNING,
                          counters="{}", output="", error="")
            s.add(run)
            s.flush()
            run_id = run.id
        # Everything logged from here on, by the host or the task's addon, names this run.
        with cron_context(run_id, name):
            return self._run_and_record(spec, force, run_id, started)

    def _run_and_record(self, spec: CronTaskSpec, force: bool, run_id: int, started: datetime) -> TaskOutcome:
        name, host = spec.name, self.host
        log.info("started as of %s", host.clock.today().isoformat())
        ctx = self._context(force, name, self.workers if spec.join is not None else 1)
        ctx.renew_lock = lambda: self.locks.renew(name)
        self._say(1, f"{name}: started (as of {ctx.today.isoformat()})")
        t0 = time.monotonic()
        error, trace = "", ""
        try:
            spec.run(ctx)
        except Exception as exc:  # one task's failure never stops the others
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            trace = traceback.format_exc()
        seconds = time.monotonic() - t0
        failed = bool(error) or _failed_count(ctx.counters)
        if not error and failed:
            error = f"{ctx.counters.get('failed')} item(s) failed"
        status = TaskStatus.FAILED if failed else TaskStatus.SUCCESS
        try:
            counters_json = json.dumps(ctx.counters, default=str, sort_keys=True)
        except (TypeError, ValueError):
            counters_json = json.dumps({k: str(v) for k, v in ctx.counters.items()}, sort_keys=True)
        output = "\n".join(ctx.log)
        if trace:
            output = f"{output}\n{trace}" if output else trace
        with host.transaction() as s:
            run = s.get_one(CronRun, run_id)
            run.finished_at = host.clock.now()
            run.status = CronRunStatus.FAILED if failed else CronRunStatus.SUCCESS
            run.counters = counters_json
            run.error = _truncate(error, ERROR_LIMIT)
            run.output = _truncate(output, OUTPUT_LIMIT)
            task = s.get(CronTask, name)
            if task is not None:
                task.last_run_at = started
        counters = json.loads(counters_json)
        log.info("finished: %s in %.1fs%s", status, seconds, f": {error}" if error else "")
        if failed:
            self.echo_err(f"{name} failed: {error}")
        else:
            self._say(1, f"{name}: success in {seconds:.1f}s")
            shown = counters_text(counters)  # the task's own summary said it in words at -v
            if shown:
                self._say(2, f"{name} counters: {shown}")
        return TaskOutcome(name, status, counters, error, seconds)

    # --- the daily hook -------------------------------------------------------------------

    def _daily_hook(self, ctx: CronContext) -> bool:
        """Fire ``daily_cron_job`` if it has not fired on the host's today; True when it fired."""
        if not self.locks.acquire(DAILY_HOOK_TASK):
            return False  # another process is firing it right now
        try:
            with self.host.sessions() as s:
                row = s.get(CronTask, DAILY_HOOK_TASK)
            if row is not None and not self._due(row):
                return False
            started = self.host.clock.now()
            self._say(1, f"{DAILY_HOOK_TASK}: firing the daily hook for {ctx.today.isoformat()}")
            with cron_context(None, DAILY_HOOK_TASK), Heartbeat(self.locks, DAILY_HOOK_TASK, self.heartbeat):
                self.host.addons.daily_cron_job(ctx)
            with self.host.transaction() as s:
                s.add(CronRun(task_name=DAILY_HOOK_TASK, as_of=ctx.today, started_at=started,
                              finished_at=self.host.clock.now(), status=CronRunStatus.SUCCESS, counters="{}",
                              output="", error=""))
                task = s.get(CronTask, DAILY_HOOK_TASK)
                if task is not None:
                    task.last_run_at = started
            return True
        finally:
            self.locks.release(DAILY_HOOK_TASK)
