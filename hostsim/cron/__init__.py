"""The host's cron: registered tasks, due-ness, cross-process locks and the runner.

``hostsim cron all`` runs every enabled task that is due; ``do --TaskA`` runs only the tasks
named (forced); ``skip --TaskA`` runs what is due except those. See :mod:`hostsim.cron.runner`.
"""

from hostsim.cron.context import CronContext
from hostsim.cron.registry import (
    DAILY_HOOK_TASK,
    UnknownTask,
    WorkersRefused,
    collect_tasks,
    is_due,
    sync_tasks,
)
from hostsim.cron.runner import CronReport, CronRunner, TaskOutcome

__all__ = [
    "DAILY_HOOK_TASK", "CronReport", "CronRunner", "CronContext", "TaskOutcome", "UnknownTask", "WorkersRefused",
    "collect_tasks", "is_due", "sync_tasks",
]
