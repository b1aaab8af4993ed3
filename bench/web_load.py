"""Benchmark the web pages under load: ``hostsim serve`` (waitress, its own process) with N clients.

The instance is the one ``bench/billing_run.py`` prepares (the SolusIO addon active, connected to
the simulator in its own process with no added latency, priced, N enrolled clients inserted in
bulk), plus an admin and a dozen invoices for the client that logs in. Then, page by page,
``--concurrency`` keep-alive clients (threads, one ``http.client`` connection each: the load
generator shares the cores with the server, and ``requests`` cost it several times the CPU) ask
for the page for ``--seconds``, each reading every answer to its end, and the figures are
printed: requests/s, p50, p95, errors (non-200 answers and failed connections), and the CPU the
server's processes used per request (Linux).

    python bench/web_load.py                          # 10,000 clients, 50 clients, 30 s per page
    python bench/web_load.py --processes 2            # hostsim serve --processes 2
    python bench/web_load.py --clients 2000 --seconds 10 --page landing
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from billing_run import free_port, prepare_host, start_sim  # noqa: E402
from sqlalchemy import select  # noqa: E402

from hostsim.db.models import AdminRole  # noqa: E402
from hostsim.services.bootstrap import create_admin  # noqa: E402
from hostsim.services.invoices import NewItem  # noqa: E402

CLIENT_EMAIL, CLIENT_PASSWORD = "user1@bulk.solusio.test", "Bench-password-1"  # billing_run's seed
ADMIN_PASSWORD = "Bench-admin-password-1"
PAGES = {  # name -> (path, who is logged in)
    "landing": ("/index.php?m=solusio", None),
    "client-home": ("/clientarea", "client"),
    "client-invoices": ("/clientarea/invoices", "client"),
    "admin-clients": ("/admin/clients", "admin"),
    "admin-billing-tab": ("/admin/addonmodules.php?module=solusio&tab=billing", "admin"),
}
CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


@dataclass
class Figures:
    times: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


def login(base: str, who: str | None) -> requests.Session:
    session = requests.Session()
    if who is None:
        return session
    path, data = (("/login", {"email": CLIENT_EMAIL, "password": CLIENT_PASSWORD}) if who == "client"
                  else ("/admin/login", {"username": "admin", "password": ADMIN_PASSWORD}))
    form = session.get(base + path, timeout=30)
    token = CSRF.search(form.text)
    answer = session.post(base + path, data={**data, "csrf_token": token.group(1) if token else ""}, timeout=30,
                          allow_redirects=False)
    if answer.status_code not in (302, 303):
        raise SystemExit(f"{who} login failed: HTTP {answer.status_code}")
    return session


def keep_cookies(jar: dict[str, str], answer: http.client.HTTPResponse) -> None:
    """What a browser keeps of an answer's Set-Cookie headers (name and value; the bench stays
    on one host and path)."""
    for header in answer.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def drive(base: str, path: str, who: str | None, concurrency: int, seconds: float) -> tuple[Figures, float]:
    logged_in = login(base, who)  # one login (the throttle counts them); its cookie on every connection
    cookies = {c.name: c.value for c in logged_in.cookies if c.value is not None}
    address = urlsplit(base)
    figures = Figures()
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker() -> None:
        mine: list[float] = []
        errors, first = 0, ""
        jar = dict(cookies)  # each client keeps the cookies it is given, as a browser does
        conn = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
        start.wait()
        while time.perf_counter() < deadline[0]:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
                             if jar else {})
                answer = conn.getresponse()
                answer.read()  # the whole body, as a browser would
                keep_cookies(jar, answer)
                ok, why = answer.status == 200, f"HTTP {answer.status}"
            except (OSError, http.client.HTTPException) as exc:
                ok, why = False, type(exc).__name__
                conn.close()  # the next request opens a new connection
            mine.append(time.perf_counter() - t0)
            if not ok:
                errors += 1
                first = first or why
        conn.close()
        with figures.lock:
            figures.times.extend(mine)
            figures.errors += errors
            figures.first_error = figures.first_error or first

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    return figures, time.perf_counter() - began


def process_stats(pid: int) -> dict[int, list[str]] | None:
    """/proc's stat fields (after the command name) of ``pid`` and its children, or None without /proc."""
    try:
        entries = [e for e in Path("/proc").iterdir() if e.name.isdigit()]
    except OSError:
        return None
    found = {}
    for entry in entries:
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            found[int(entry.name)] = fields
    return found


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` and its live children (the web processes)."""
    stats = process_stats(pid)
    if stats is None:
        return None
    return sum(int(f[11]) + int(f[12]) for f in stats.values()) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def wait_up(base: str, process: subprocess.Popen[bytes], processes: int) -> None:
    """Until the server answers and, with several web processes, all of them are there."""
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/login", timeout=5)
            stats = process_stats(process.pid)
            if processes == 1 or stats is None or len(stats) > processes:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("hostsim serve did not start")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads (of each process)")
    parser.add_argument("--processes", type=int, default=1, help="hostsim serve --processes")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each page's measured run")
    parser.add_argument("--page", choices=sorted(PAGES), action="append", help="only these pages (repeatable)")
    args = parser.parse_args()
    sim = start_sim(0)
    try:
        with tempfile.TemporaryDirectory(prefix="hostsim-web-") as tmp:
            home = Path(tmp)
            seeded = sim.api("POST", "/_sim/seed", json={"bulk": {"users": args.clients, "servers_per_user": 1,
                                                                     "period": "2026-07"}})
            host = prepare_host(home, None, sim, None, args.clients, int(seeded["bulk"]["first_user_id"]))
            create_admin(host, "admin", "admin@example.com", ADMIN_PASSWORD, role="Full Administrator")
            with host.sessions() as s:
                full_admin = s.scalars(select(AdminRole.id).where(AdminRole.name == "Full Administrator")).one()
            host.lifecycle.set_access("solusio", [full_admin])  # the Billing tab is the addon's page
            for n in range(12):
                host.invoices.create_invoice(client_id=1, items=[NewItem(f"Bench line {n}", Decimal("12.34"))])
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {**os.environ, "HOSTSIM_HOME": str(home), "HOSTSIM_BASE_URL": base}
            env.pop("HOSTSIM_DISABLE_ADDON_AUTOLOAD", None)
            # The server's log goes to a file: a pipe nobody reads fills up and blocks the server.
            server_log = (home / "serve.log").open("wb")
            server = subprocess.Popen([str(Path(sys.executable).with_name("hostsim")), "serve", "--port", str(port),
                                       "--threads", str(args.threads), "--processes", str(args.processes)],
                                      env=env, cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=server_log)
            try:
                wait_up(base, server, args.processes)
                print(f"== {args.clients:,} clients, SQLite, hostsim serve --processes {args.processes} "
                      f"--threads {args.threads}, {args.concurrency} keep-alive clients, {args.seconds:g} s per page")
                print(f"{'page':<20}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}{'cpu ms/req':>12}")
                for name in args.page or list(PAGES):
                    path, who = PAGES[name]
                    drive(base, path, who, args.concurrency, args.warmup)  # every process has served it once
                    cpu_before = server_cpu_seconds(server.pid)
                    figures, took = drive(base, path, who, args.concurrency, args.seconds)
                    cpu_after = server_cpu_seconds(server.pid)
                    times = sorted(figures.times)
                    cpu = ("-" if cpu_before is None or cpu_after is None or not times
                           else f"{(cpu_after - cpu_before) / len(times) * 1000:.2f}")
                    print(f"{name:<20}{len(times) / took:>9.1f}{percentile(times, 50) * 1000:>9.1f}"
                          f"{percentile(times, 95) * 1000:>9.1f}{figures.errors:>8}{cpu:>12}"
                          + (f"  (first: {figures.first_error})" if figures.errors else ""), flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
                server_log.close()
                warnings = (home / "serve.log").read_text(errors="replace").splitlines()
                if warnings:
                    print(f"server log: {len(warnings)} line(s), the last: {warnings[-1][:200]}")
    finally:
        sim.process.terminate()
        sim.process.wait(timeout=30)


if __name__ == "__main__":
    main()
