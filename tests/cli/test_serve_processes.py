"""``hostsim serve --processes N`` as a real process on a free port: N web processes answer on
the one port (which process holds each connection is read from /proc, not from the pages), a
web process that dies is reported and replaced, SIGTERM stops them all, web processes stop when
their parent is killed, and ones that keep dying at start end the command with exit code 1.
Nothing here measures time: waits have generous deadlines and only outcomes are checked."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from hostsim.host import Host

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
REPO = Path(__file__).resolve().parents[2]
HOSTSIM = str(Path(sys.executable).with_name("hostsim"))
WAIT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(what: str, check: Callable[[], object]) -> object:
    deadline = time.monotonic() + WAIT
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT:.0f} s for {what}")
        time.sleep(0.1)


def socket_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server's end of the connection from ``client_port`` (/proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port == client_port:
            return int(fields[9])
    return None


def owner_of(inode: int, pids: set[int]) -> int | None:
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == wanted:
                    return pid
            except OSError:
                continue
    return None


class Server:
    def __init__(self, db_url: str, home: Path, *args: str) -> None:
        self.port = free_port()
        env = {**os.environ, "HOSTSIM_DATABASE_URL": db_url, "HOSTSIM_HOME": str(home),
               "HOSTSIM_BASE_URL": f"http://127.0.0.1:{self.port}"}
        self.stderr_path = home / "serve.err"
        home.mkdir(parents=True, exist_ok=True)
        self.stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen([HOSTSIM, "serve", "--port", str(self.port), *args], cwd=REPO, env=env,
                                        stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.connections: list[http.client.HTTPConnection] = []

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def get(self, path: str = "/login") -> tuple[int, int | None]:
        """GET ``path`` on a new keep-alive connection (kept open); the status and the web
        process that holds the connection's server end."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        self.connections.append(conn)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert conn.sock is not None
        inode = socket_inode(self.port, conn.sock.getsockname()[1])
        return response.status, owner_of(inode, children_of(self.process.pid)) if inode else None

    def serving_pids(self, wanted: set[int]) -> set[int]:
        """Open connections until each of ``wanted`` has answered one (every answer a 200)."""
        seen: set[int] = set()

        def more() -> bool:
            status, pid = self.get()
            assert status == 200
            if pid is not None:
                seen.add(pid)
            return wanted <= seen

        wait_for(f"answers from each of {sorted(wanted)}", more)
        return seen

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        self.stderr.close()


@pytest.fixture
def serve(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(*args: str) -> Server:
        server = Server(db_url, tmp_path / f"home{len(servers)}", *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def web_processes(server: Server, count: int) -> set[int]:
    def ready() -> set[int] | None:
        assert server.process.poll() is None, server.log()
        pids = children_of(server.process.pid)
        return pids if len(pids) == count else None

    result = wait_for(f"{count} web processes", ready)
    assert isinstance(result, set)
    return result


def test_two_processes_answer_on_one_port_and_sigterm_stops_them_all(serve) -> None:
    server = serve("--processes", "2", "--threads", "2")
    pids = web_processes(server, 2)
    assert server.serving_pids(pids) == pids
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=WAIT) == 0, server.log()
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()


def test_a_web_process_that_dies_is_reported_and_replaced(serve) -> None:
    server = serve("--processes", "2", "--threads", "2")
    first, second = sorted(web_processes(server, 2))
    os.kill(first, signal.SIGKILL)
    wait_for(f"web process {first} to be gone", lambda: not alive(first))
    pids = web_processes(server, 2)
    assert second in pids and first not in pids
    assert f"(pid {first}) was killed by SIGKILL" in server.log() and "starting another" in server.log()
    assert server.serving_pids(pids) == pids
    server.process.send_signal(signal.SIGINT)  # Ctrl-C: the same clean stop
    assert server.process.wait(timeout=WAIT) == 0, server.log()
    assert not any(alive(pid) for pid in pids)


def test_web_processes_stop_when_their_parent_is_killed(serve) -> None:
    server = serve("--processes", "2", "--threads", "1")
    pids = web_processes(server, 2)
    server.process.kill()
    server.process.wait(timeout=WAIT)
    wait_for("the orphaned web processes to stop", lambda: not any(alive(pid) for pid in pids))


def test_web_processes_that_keep_dying_at_start_end_the_command(tmp_path: Path) -> None:
    code = ("import socket\n"
            "from hostsim.cli import serve_processes\n"
            "def broken():\n"
            "    raise RuntimeError('no app today')\n"
            "sock = socket.socket(); sock.bind(('127.0.0.1', 0)); sock.listen(8)\n"
            "try:\n"
            "    serve_processes.run([sock], 2, 1, broken)\n"
            "except serve_processes.GaveUp as exc:\n"
            "    print('gave up:', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=WAIT)
    assert proc.returncode == 0, proc.stderr
    assert "gave up: web process" in proc.stdout and "exited with code 1" in proc.stdout
    assert "early death in a row: stopping" in proc.stdout
    assert "RuntimeError: no app today" in proc.stderr  # each failed start is logged with its cause


@pytest.mark.parametrize("value", ["0", "-1", "65", "100000", "two", ""])
def test_a_bad_number_of_processes_is_a_usage_error_naming_the_option(host: Host, cli: Callable[..., Result],
                                                                      value: str) -> None:
    result = cli(host, "serve", "--processes", value)
    assert result.exit_code == 2, result.output
    assert "'--processes'" in result.stderr and "Traceback" not in result.output
    assert "http://" not in result.stdout


def test_the_queue_depth_warning_is_let_through_once_in_a_while_with_a_count() -> None:
    import logging

    from hostsim.cli.serve_processes import EveryFewSeconds

    gate = EveryFewSeconds(3600.0)

    def record() -> logging.LogRecord:
        return logging.LogRecord("waitress.queue", logging.WARNING, __file__, 1, "Task queue depth is %d", (3,), None)

    first = record()
    assert gate.filter(first) and first.getMessage() == "Task queue depth is 3"
    assert not any(gate.filter(record()) for _ in range(4))
    gate.next_at = 0.0  # the interval is over
    later = record()
    assert gate.filter(later) and later.getMessage() == "Task queue depth is 3 (and 4 more like it since the last)"
