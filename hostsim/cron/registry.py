"""Which tasks exist (the host's own plus the active addons'), their rows, and when they are due."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hostsim.cron.builtin import builtin_tasks
from hostsim.cron.context import CronTaskSpec
from hostsim.db.models import CronTask

if TYPE_CHECKING:
    from hostsim.host import Host

log = logging.getLogger(__name__)

#: A pseudo task row that records the day the ``daily_cron_job`` hook last fired (its
#: ``last_run_at``) and, through its ``CronRun`` rows, each firing. It is never run as a task.
DAILY_HOOK_TASK = "DailyCronJob"
RESERVED_NAMES = frozenset({DAILY_HOOK_TASK})
TASK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MINUTES_PER_DAY = 1440


class WorkersRefused(ValueError):
    """``--workers`` was asked of a task (or a mode) that runs in one process."""


class UnknownTask(LookupError):
    def __init__(self, names: list[str], known: list[str]) -> None:
        self.names, self.known = names, known
        super().__init__(f"unknown cron task(s): {', '.join(names)} (known: {', '.join(known) or 'none'})")


def collect_tasks(host: "Host", warn: Callable[[str], None] | None = None) -> dict[str, CronTaskSpec]:
    """The host's built-in tasks, then the active addons' (``cron_tasks`` hook), by name.

    A task with a reserved, malformed or already-taken name is left out with a warning.
    """
    tasks: dict[str, CronTaskSpec] = {}
    for spec in [*builtin_tasks(host), *host.addons.cron_tasks()]:
        problem = None
        if not isinstance(spec, CronTaskSpec):
            problem = f"cron_tasks returned {type(spec).__name__}, not a CronTaskSpec"
        elif spec.name in RESERVED_NAMES:
            problem = f"cron task name {spec.name!r} is reserved"
        elif not TASK_NAME.match(spec.name):
            problem = f"cron task name {spec.name!r} must be letters, digits and _ (starting with a letter)"
        elif spec.name in tasks:
            problem = f"cron task {spec.name!r} of {spec.module or 'an addon'} ignored: the name is taken"
        elif spec.frequency_minutes < 1:
            problem = f"cron task {spec.name!r}: frequency must be at least one minute"
        if problem:
            (warn or log.warning)(problem)
            continue
        tasks[spec.name] = spec
    return tasks


def sync_tasks(host: "Host", specs: dict[str, CronTaskSpec]) -> None:
    """Create or refresh a ``CronTask`` row per task; keeps ``enabled`` and ``last_run_at``.

    Two cron processes may sync at once: a row inserted concurrently is tolerated.
    """
    wanted = dict(specs)
    wanted[DAILY_HOOK_TASK] = CronTaskSpec(
        name=DAILY_HOOK_TASK, run=lambda ctx: None, module="hostsim", priority=10_000,
        description="Records the day the DailyCronJob hook last fired", frequency_minutes=MINUTES_PER_DAY)
    with host.transaction() as s:
        rows = {r.name: r for r in s.scalars(select(CronTask).where(CronTask.name.in_(wanted)))}
        for name, row in rows.items():
            spec = wanted[name]
            fresh = (spec.description[:255], spec.module, spec.priority, spec.frequency_minutes)
            if (row.description, row.module, row.priority, row.frequency_minutes) != fresh:
                row.description, row.module, row.priority, row.frequency_minutes = fresh
    for name in wanted.keys() - rows.keys():
        spec = wanted[name]
        try:
            with host.transaction() as s:
                s.add(CronTask(name=name, description=spec.description[:255], module=spec.module,
                               priority=spec.priority, frequency_minutes=spec.frequency_minutes,
                               enabled=True, last_run_at=None))
        except IntegrityError:
            pass  # another cron process inserted it first


def is_due(last_run_at: datetime | None, frequency_minutes: int, now: datetime, tz: tzinfo) -> bool:
    """Never run, or its frequency has passed since the last run.

    A frequency of whole days counts host calendar days: a daily task is due once the host's
    date is past the date of its last run, whatever the time of day. A last run in the future
    means the host clock was moved back (``--today``): the task is due again.
    """
    if last_run_at is None:
        return True
    if frequency_minutes >= MINUTES_PER_DAY and frequency_minutes % MINUTES_PER_DAY == 0:
        days = frequency_minutes // MINUTES_PER_DAY
        elapsed = (now.astimezone(tz).date() - last_run_at.astimezone(tz).date()).days
        return elapsed >= days or elapsed < 0
    return last_run_at + timedelta(minutes=frequency_minutes) <= now or last_run_at > now
