"""Worker processes of one instance, for a task that spreads its work over several processes.

``WorkerProcesses.run(target, count, *args)`` starts ``count`` fresh processes (the ``spawn``
start method: no state is inherited by accident, and it behaves the same on every platform).
Each builds its own host on the same database, with the parent's addons, clock and logging, and
calls ``target(host, index, *args)`` with the addon facade (``hostsim.addon_api.Host``). The
work itself is shared through the database (the task claims it in batches), so a worker that
dies loses nothing a later claim cannot pick up.

SQLite is one file with one writer at a time: there the host runs no worker processes
(:meth:`WorkerProcesses.unsupported` says why) and the task does its work in-process.

``WorkerProcesses.start(target, *args)`` starts one helper process for the host's own services
(the month-end's mail courier) on any database and returns without waiting; its target gets the
core host, not the addon facade.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import socket
import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Callable

from hostsim.config import HostConfig
from hostsim.plugins.manager import GATEWAY_PREFIX, PART_SEPARATOR

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from hostsim.host import Host

log = logging.getLogger(__name__)
#: Most worker processes one command may start (a guard against a typo like 400).
MAX_WORKERS = 64


@dataclass(frozen=True)
class WorkerExit:
    """How one worker process ended: ``exitcode`` 0 when its target returned, 1 when it raised,
    minus the signal number when it was killed."""

    index: int
    pid: int
    exitcode: int


@dataclass(frozen=True)
class _Blueprint:
    """What a worker needs to rebuild the parent's host (all picklable)."""

    config: HostConfig
    addons: tuple[tuple[str, str], ...]  # (plugin name, module) of every addon registered as a module
    clock_offset: timedelta
    tz: tzinfo
    log_level: int


def worker_name() -> str:
    """This process as a worker is named in the database: host name and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerProcesses:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def unsupported(self) -> str:
        """Why this instance runs no worker processes ("" when it can)."""
        if self.host.engine.dialect.name == "sqlite":
            return "SQLite allows one writer at a time, so the work runs in one process"
        return ""

    def run(self, target: Callable[..., None], count: int, *args: Any,
            on_wait: Callable[[], None] | None = None, wait_every: float = 2.0) -> list[WorkerExit]:
        """Run ``target(host, index, *args)`` in ``count`` worker processes and wait for them all;
        ``on_wait()`` is called every ``wait_every`` seconds meanwhile (progress, heartbeat).
        ``target`` must be importable (a module-level function) and ``args`` picklable."""
        if self.unsupported():
            raise RuntimeError(self.unsupported())
        if not 1 <= count <= MAX_WORKERS:
            raise ValueError(f"workers: must be a whole number from 1 to {MAX_WORKERS}")
        blueprint = self._blueprint()
        context = multiprocessing.get_context("spawn")
        processes = [context.Process(target=_worker_main, args=(blueprint, index, target, args),
                                     name=f"hostsim-worker-{index}", daemon=False)
                     for index in range(count)]
        for process in processes:
            process.start()
        log.info("started %d worker process(es): %s", count, ", ".join(str(p.pid) for p in processes))
        while any(p.is_alive() for p in processes):
            for process in processes:
                process.join(timeout=wait_every / count)
            if on_wait is not None:
                on_wait()
        exits = [WorkerExit(i, p.pid or 0, p.exitcode if p.exitcode is not None else -1)
                 for i, p in enumerate(processes)]
        for process in processes:
            process.close()
        for ended in exits:
            if ended.exitcode != 0:
                log.warning("worker %d (pid %d) ended with exit code %d", ended.index, ended.pid, ended.exitcode)
        return exits

    def start(self, target: Callable[..., None], *args: Any, name: str) -> "BaseProcess":
        """Start ``target(host, *args)`` in one fresh process with a core host of its own on this
        database (any backend: the helper writes little) and return the running process."""
        process = multiprocessing.get_context("spawn").Process(
            target=_worker_main, args=(self._blueprint(), 0, target, args, False), name=name, daemon=True)
        process.start()
        log.info("started %s (pid %s)", name, process.pid)
        return process

    def _blueprint(self) -> _Blueprint:
        addons = []
        for name, plugin in self.host.addons.pm.list_name_plugin():
            if name is None or PART_SEPARATOR in name or name.startswith(GATEWAY_PREFIX):
                continue  # hook parts and gateways are registered again by the plugin manager
            if isinstance(plugin, types.ModuleType):
                addons.append((name, plugin.__name__))
            else:
                log.warning("addon %s is not a module; its worker processes run without it", name)
        clock = self.host.clock
        return _Blueprint(config=self.host.config, addons=tuple(addons),
                          clock_offset=clock.now() - datetime.now(timezone.utc), tz=clock.tz,
                          log_level=logging.getLogger().level)


def _worker_main(blueprint: _Blueprint, index: int, target: Callable[..., None], args: tuple[Any, ...],
                 facade: bool = True) -> None:
    from hostsim.clock import Clock
    from hostsim.host import Host
    from hostsim.logs import configure_logging
    from hostsim.plugins.manager import get_plugin_manager

    configure_logging(logging.getLevelName(blueprint.log_level))
    addons = [(name, importlib.import_module(module)) for name, module in blueprint.addons]
    clock = Clock(blueprint.tz)
    clock.set_now(datetime.now(timezone.utc) + blueprint.clock_offset)
    host = Host(blueprint.config, pm=get_plugin_manager(autoload=False, addons=addons), clock=clock)
    try:
        if facade:
            target(host.addon_api, index, *args)
        else:
            target(host, *args)
    except Exception:
        log.exception("worker %d failed", index)
        raise SystemExit(1) from None
    finally:
        host.engine.dispose()
