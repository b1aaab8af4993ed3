"""``hostsim serve --processes N``: N waitress processes on one listening socket.

One process of waitress runs Python on one core at a time (the GIL). With N > 1 the parent binds
the listening sockets once, then forks N web processes that each build their own Host (engine,
connections, threads) and app and run waitress on those same sockets: the kernel hands each new
connection to one of them. The parent opens nothing else: it checked the database, closed its
connections and started no thread before forking.

The parent only supervises. SIGTERM or SIGINT (Ctrl-C) stops every web process (each finishes
the requests it is serving, then exits; one still running after ``STOP_SECONDS`` is killed) and
the command exits 0. A web process that dies is reported on stderr and replaced; one that dies
within ``EARLY_SECONDS`` of its start ``EARLY_DEATHS`` times in a row (a broken instance, say)
stops them all and the command exits 1. A web process whose parent is gone stops by itself.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, NoReturn

log = logging.getLogger(__name__)

#: How long the web processes get to finish their requests after SIGTERM before being killed.
STOP_SECONDS = 30.0
#: A web process that dies this soon after its start counts as failing to start...
EARLY_SECONDS = 10.0
#: ... and this many such deaths in a row end the command.
EARLY_DEATHS = 3
#: How often a web process checks that its parent is still there.
PARENT_CHECK_SECONDS = 1.0
_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)


class GaveUp(RuntimeError):
    """Web processes kept dying at start: the message says which and how."""


@dataclass
class _Worker:
    number: int
    started: float


def describe(status: int) -> str:
    """A wait status in words: "exited with code 1", "was killed by SIGKILL"."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        return f"was killed by {name}"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"


def run(sockets: list[socket.socket], processes: int, threads: int, build_app: Callable[[], Any]) -> None:
    """Fork ``processes`` web processes serving ``build_app()`` on ``sockets`` and supervise
    them until SIGTERM or SIGINT; GaveUp when they keep dying at start."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    previous = {sig: signal.signal(sig, _note) for sig in _HANDLED}
    previous_fd = signal.set_wakeup_fd(wake_write)
    workers: dict[int, _Worker] = {}
    try:
        for number in range(1, processes + 1):
            _spawn(workers, number, sockets, threads, build_app, (wake_read, wake_write))
        _supervise(workers, sockets, threads, build_app, (wake_read, wake_write))
    finally:
        _stop(workers)
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_read)
        os.close(wake_write)


def _note(_signum: int, _frame: Any) -> None:
    """Signals are read from the wakeup pipe by the supervising loop; nothing to do here."""


def _supervise(workers: dict[int, _Worker], sockets: list[socket.socket], threads: int,
               build_app: Callable[[], Any], wake: tuple[int, int]) -> None:
    early_in_a_row = 0
    while True:
        for pid, status in _reap():
            worker = workers.pop(pid, None)
            if worker is None:
                continue
            lived = time.monotonic() - worker.started
            early_in_a_row = early_in_a_row + 1 if lived < EARLY_SECONDS else 0
            if early_in_a_row >= EARLY_DEATHS:
                raise GaveUp(f"web process {worker.number} (pid {pid}) {describe(status)} {lived:.1f} s after "
                             f"its start, the {early_in_a_row}th early death in a row: stopping")
            log.warning("web process %d (pid %d) %s after %.1f s; starting another", worker.number, pid,
                        describe(status), lived)
            _spawn(workers, worker.number, sockets, threads, build_app, wake)
        select.select([wake[0]], [], [], 1.0)
        try:
            received = os.read(wake[0], 512)
        except BlockingIOError:
            received = b""
        if signal.SIGTERM in received or signal.SIGINT in received:
            return


def _reap() -> list[tuple[int, int]]:
    dead: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return dead
        if pid == 0:
            return dead
        dead.append((pid, status))


def _spawn(workers: dict[int, _Worker], number: int, sockets: list[socket.socket], threads: int,
           build_app: Callable[[], Any], wake: tuple[int, int]) -> None:
    # Blocked across the fork: the child must not run the parent's handlers (which write to the
    # parent's wakeup pipe) before it has put its own in place.
    signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
    try:
        pid = os.fork()
        if pid == 0:
            _child(number, sockets, threads, build_app, wake)
        workers[pid] = _Worker(number, time.monotonic())
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)


def _stop(workers: dict[int, _Worker]) -> None:
    """SIGTERM every web process, wait up to STOP_SECONDS for them, then SIGKILL the rest."""
    for pid in workers:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while workers and time.monotonic() < deadline:
        for pid, _status in _reap():
            workers.pop(pid, None)
        if workers:
            time.sleep(0.05)
    for pid, worker in workers.items():
        log.warning("web process %d (pid %d) did not stop within %.0f s: killed", worker.number, pid, STOP_SECONDS)
        _signal(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    workers.clear()


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _child(number: int, sockets: list[socket.socket], threads: int, build_app: Callable[[], Any],
           wake: tuple[int, int]) -> NoReturn:
    """The body of a web process; never returns into the parent's code."""
    code = 0
    try:
        signal.set_wakeup_fd(-1)
        os.close(wake[0])
        os.close(wake[1])
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, _finish)  # SystemExit in waitress's loop: it closes
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
        _watch_parent(os.getppid())
        serve(sockets, threads, build_app)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        log.exception("web process %d failed", number)
        code = 1
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(sockets: list[socket.socket], threads: int, build_app: Callable[[], Any]) -> None:
    """Build the app and run waitress on ``sockets`` (what each web process does)."""
    from waitress import create_server  # type: ignore[import-untyped]

    app = build_app()
    quiet_queue_warnings()
    freeze_loaded()
    create_server(app, sockets=sockets, threads=threads).run()


class EveryFewSeconds(logging.Filter):
    """Lets a logger's records through at most once every ``seconds``, counting the rest: waitress
    warns "Task queue depth is N" for every request queued behind busy threads, which under a
    steady load is nearly every request (tens of thousands of lines a minute, each formatted and
    written by the server)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.next_at = 0.0
        self.held = 0
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            now = time.monotonic()
            if now < self.next_at:
                self.held += 1
                return False
            self.next_at = now + self.seconds
            held, self.held = self.held, 0
        if held:
            record.msg = f"{record.msg} (and {held} more like it since the last)"
        return True


def quiet_queue_warnings(seconds: float = 10.0) -> None:
    """Waitress's queue-depth warning at most once every ``seconds`` per process."""
    queue_log = logging.getLogger("waitress.queue")
    if not any(isinstance(f, EveryFewSeconds) for f in queue_log.filters):
        queue_log.addFilter(EveryFewSeconds(seconds))


def freeze_loaded() -> None:
    """What is loaded at start-up (modules, the app) lives as long as the process: kept out of
    the collector's sight, a full collection no longer walks it (one took ~60 ms, every thousand
    requests or so)."""
    gc.collect()
    gc.freeze()


def _finish(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)


def _watch_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning("the hostsim serve process is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
