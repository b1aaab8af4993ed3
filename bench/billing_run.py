"""Benchmark the month-end SolusioAutomation run.

Scenario: N enrolled clients with 3 servers each, the SolusIO simulator in its own process on
loopback with 20 ms of added latency per request, a SQLite file database (or the server given
by ``--database-url``), and a real SMTP server (aiosmtpd) in its own process. For each size it
prints:

* the month-end run (``hostsim cron do --SolusioAutomation --today 2026-08-01``, a real
  process) with every invoice email delivered to the SMTP server (and checked there: one
  message per client, once each): wall time, peak RSS, HTTP requests per client, invoices
  created, CPU seconds per client of the cron process (its workers included) and of the
  simulator;
* the same run repeated that day: wall time and its share of the first;
* a fetch-only pass over the same users (the same pool, no database work) and the ratio of the
  full run to it;
* with two sizes, the cost per client of the larger relative to the smaller.

    python bench/billing_run.py                      # 10,000 clients
    python bench/billing_run.py --clients 10000 --clients 50000
    python bench/billing_run.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    BENCH_PY_SPY=stacks.txt python bench/billing_run.py   # every thread's on-CPU stacks (py-spy)
    python bench/billing_run.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --latency-ms 200 --clients 5000 --workers 1 --workers 2 --workers 4
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import requests
from sqlalchemy import insert, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hostsim.config import HostConfig  # noqa: E402
from hostsim.db.models import Client, Currency  # noqa: E402
from hostsim.host import Host  # noqa: E402
from hostsim.services.bootstrap import init_instance  # noqa: E402
from hostsim.services.passwords import hash_password  # noqa: E402
from solusio_addon.admin import settings as addon_settings  # noqa: E402
from solusio_addon.admin.client_factory import client_from_settings  # noqa: E402
from solusio_addon.admin.pricing import save_prices  # noqa: E402
from solusio_addon.billing.automation import Automation, Job  # noqa: E402
from solusio_addon.billing.hooks import policy_from_settings  # noqa: E402
from solusio_addon.billing.periods import Period  # noqa: E402
from solusio_addon.db.models import Enrolment, EnrolmentStatus  # noqa: E402

RUN_DAY = "2026-08-01"
PERIOD = "2026-07"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sim:
    url: str
    token: str
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, **kwargs: object) -> dict:
        r = requests.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"},
                             timeout=600, **kwargs)  # type: ignore[arg-type]
        r.raise_for_status()
        return r.json()["data"] if r.content else {}

    def requests_total(self) -> int:
        return int(self.api("GET", "/_sim/state")["requests_total"])


def start_sim(latency_ms: int) -> Sim:
    port, token = free_port(), secrets.token_urlsafe(24)
    process = subprocess.Popen(
        [sys.executable, "-m", "solusio_sim", "serve", "--port", str(port), "--seed", "none",
         "--latency-ms", str(latency_ms)],
        env={**os.environ, "SOLUSIO_SIM_ADMIN_TOKEN": token}, cwd=REPO, stdout=subprocess.DEVNULL)
    sim = Sim(f"http://127.0.0.1:{port}", token, process)
    deadline = time.monotonic() + 30
    while True:
        try:
            sim.api("GET", "/_sim/state")
            return sim
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the simulator did not start")
            time.sleep(0.1)


@dataclass
class SmtpSink:
    port: int
    received: Path
    process: subprocess.Popen[str]

    def messages(self) -> list[str]:
        return self.received.read_text().splitlines() if self.received.exists() else []


def start_smtp(folder: Path) -> SmtpSink:
    port, received = free_port(), folder / "smtp-received.txt"
    process = subprocess.Popen([sys.executable, str(REPO / "bench" / "smtp_sink.py"), str(port), str(received)],
                               cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise SystemExit("the SMTP server did not start")
    return SmtpSink(port, received, process)


def fresh_server_database(base: str, name: str = "hostsim_bench") -> str:
    """Create database ``name`` (dropped first) on the server of ``base``; its URL."""
    from sqlalchemy import create_engine, make_url, text
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if url.get_backend_name() == "postgresql":
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def prepare_host(home: Path, database_url: str | None, sim: Sim, smtp: SmtpSink | None, clients: int,
                 first_user_id: int) -> Host:
    """An instance with the addon active, connected and priced, mail going to ``smtp``, and
    ``clients`` enrolled clients whose SolusIO users the simulator generated (billing ids 1..N)."""
    os.environ.pop("HOSTSIM_DISABLE_ADDON_AUTOLOAD", None)
    host = Host(HostConfig.from_env(home=home, database_url=database_url))
    init_instance(host)
    assert host.lifecycle.activate("solusio").status == "success"
    if smtp is not None:
        host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none",
                                "company_name": "Bench Cloud", "mail_from": "billing@bench.test"})
    addon_settings.save_connection(host.addon_api, addon_settings.ConnectionSettings(url=sim.url, api_key=sim.token))
    with host.sessions() as s:
        usd = s.scalars(select(Currency.id).where(Currency.code == "USD")).one()
    save_prices(host.addon_api, {usd: Decimal("0.0010")})
    one_hash = hash_password("Bench-password-1")  # hashing 50,000 passwords would dominate setup
    enrolled = datetime(2026, 7, 1, tzinfo=timezone.utc)  # so July is the one month due on 1 August
    chunk = 5000
    with host.transaction() as s:
        for start in range(1, clients + 1, chunk):
            ids = range(start, min(clients, start + chunk - 1) + 1)
            s.execute(insert(Client), [dict(id=i, first_name="Bench", last_name=f"Client {i}", company="",
                                            email=f"user{i}@bulk.solusio.test", password_hash=one_hash,
                                            currency_id=usd, email_verified=True, created_at=enrolled)
                                       for i in ids])
            s.execute(insert(Enrolment), [dict(client_id=i, solusio_user_id=first_user_id + i - 1,
                                               status=EnrolmentStatus.ACTIVE, created_at=enrolled) for i in ids])
    return host


PROFILE: Path | None = None


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cron(home: Path, database_url: str | None, label: str, *task: str,
             workers: int = 1) -> tuple[float, float, str]:
    """Run ``hostsim cron do TASK...`` in its own process; (peak RSS MiB, the largest child
    process's peak RSS MiB, last lines). Its whole
    output is kept in the temporary folder as ``hostsim-bench-LABEL.log``."""
    stats = home / f"{label}.json"
    profile = ["-m", "cProfile", "-o", str(PROFILE)] if PROFILE and label == "first" else []
    env = {**os.environ, "HOSTSIM_HOME": str(home)}
    if database_url:
        env["HOSTSIM_DATABASE_URL"] = database_url
    # Every thread's stacks, not only the main thread's as cProfile: BENCH_PY_SPY=out.txt (py-spy installed)
    sampler = (["py-spy", "record", "--gil", "--format", "raw", "--rate", "250", "--subprocesses", "-o",
                os.environ["BENCH_PY_SPY"], "--"] if os.environ.get("BENCH_PY_SPY") and label == "first" else [])
    proc = subprocess.run(
        [*sampler, sys.executable, *profile, str(REPO / "bench" / "measure_process.py"), str(stats), "--home", str(home),
         "cron", "do", *task, "--today", RUN_DAY, "-v", *(["--workers", str(workers)] if workers > 1 else [])],
        cwd=REPO, capture_output=True, text=True, env=env)
    Path(tempfile.gettempdir(), f"hostsim-bench-{label}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"{label}: the cron run failed with exit code {proc.returncode}")
    recorded = json.loads(stats.read_text())
    return (recorded["max_rss_mib"], recorded["child_max_rss_mib"],
            "\n".join(proc.stdout.strip().splitlines()[-6:]))


def queued_mail(host: Host) -> int:
    from sqlalchemy import func

    from hostsim.db.models import EmailLog, EmailStatus
    with host.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(EmailLog)
                            .where(EmailLog.status.in_([EmailStatus.QUEUED, EmailStatus.SENDING]))) or 0)


def timed_month_end(host: Host, home: Path, database_url: str | None, label: str,
                    workers: int = 1) -> tuple[float, float, float, str]:
    """The month-end as a host runs it: the cron task, then the mail sweep if it left any mail
    queued (it should not). (seconds, peak RSS MiB of the cron process, of its largest child
    process, last lines)."""
    started = time.perf_counter()
    peak, child_peak, tail = run_cron(home, database_url, label, "--SolusioAutomation", workers=workers)
    if queued_mail(host):
        sweep_peak, _child, _ = run_cron(home, database_url, f"{label}-mail", "--DeliverQueuedMail")
        peak = max(peak, sweep_peak)
    return time.perf_counter() - started, peak, child_peak, tail


def check_mail(smtp: SmtpSink, clients: int) -> int:
    """Every client got exactly one message, and no message arrived twice."""
    lines = smtp.messages()
    recipients = [line.split("\t")[0] for line in lines]
    ids = [line.split("\t")[1] for line in lines]
    expected = {f"user{i}@bulk.solusio.test" for i in range(1, clients + 1)}
    if len(lines) != clients or set(recipients) != expected or len(set(ids)) != len(ids):
        raise SystemExit(f"mail check failed: {len(lines)} messages, {len(set(recipients))} recipients, "
                         f"{len(set(ids))} distinct ids for {clients} clients")
    return len(lines)


def fetch_only(host: Host, clients: int, first_user_id: int) -> float:
    """The same usage requests through the same pool, with no database work."""
    api = host.addon_api
    automation = Automation(api, client_from_settings(api), policy_from_settings(api))
    period = Period.parse(PERIOD)
    jobs = (Job(i, first_user_id + i - 1, 1, period) for i in range(1, clients + 1))
    started = time.perf_counter()
    count = sum(1 for fetched in automation.fetch_all(jobs) if fetched.usage is not None)
    seconds = time.perf_counter() - started
    if count != clients:
        raise SystemExit(f"fetch-only pass got {count} of {clients} usages")
    return seconds


def bench(clients: int, latency_ms: int, database_url: str | None) -> dict[str, float]:
    sim = start_sim(latency_ms)
    try:
        with tempfile.TemporaryDirectory(prefix="hostsim-bench-") as tmp:
            home = Path(tmp)
            smtp = start_smtp(home)
            url = fresh_server_database(database_url) if database_url else None
            try:
                seeded = sim.api("POST", "/_sim/seed", json={"bulk": {"users": clients, "servers_per_user": 3,
                                                                      "period": PERIOD}})["bulk"]
                host = prepare_host(home, url, sim, smtp, clients, int(seeded["first_user_id"]))
                before = sim.requests_total()
                sim_cpu, cron_cpu = process_cpu_seconds(sim.process.pid), children_cpu_seconds()
                first, peak, child_peak, tail = timed_month_end(host, home, url, "first")
                sim_cpu = process_cpu_seconds(sim.process.pid) - sim_cpu
                cron_cpu = children_cpu_seconds() - cron_cpu
                http = sim.requests_total() - before
                mails = check_mail(smtp, clients)
                backend = host.engine.dialect.name
                print(f"\n== {clients:,} clients x 3 servers, {latency_ms} ms latency, {backend}")
                print(tail)
                from sqlalchemy import func

                from hostsim.db.models import Invoice
                with host.sessions() as s:
                    invoices = s.scalar(select(func.count()).select_from(Invoice))
                again, again_peak, _child, _ = timed_month_end(host, home, url, "again")
                with host.sessions() as s:
                    invoices_after = s.scalar(select(func.count()).select_from(Invoice))
                mails_after = len(smtp.messages())
                fetch = fetch_only(host, clients, int(seeded["first_user_id"]))
                host.engine.dispose()
            finally:
                smtp.process.terminate()
                smtp.process.wait(10)
    finally:
        sim.process.terminate()
        sim.process.wait(10)
    figures = {"clients": clients, "first_s": first, "cron_cpu_s": cron_cpu, "sim_cpu_s": sim_cpu,
               "peak_mib": peak, "child_peak_mib": child_peak,
               "http_per_client": http / clients, "mails": mails,
               "invoices": invoices, "again_s": again, "again_new_invoices": invoices_after - invoices,
               "fetch_only_s": fetch}
    print(f"month-end run:        {first:8.2f} s   ({first / clients * 1000:.2f} ms per client), "
          f"peak RSS {peak:.0f} MiB" + (f" (its mail courier process {child_peak:.0f} MiB)" if child_peak else "")
          + f", {invoices:,} invoices, {mails:,} emails delivered once each")
    print(f"HTTP requests/client: {http / clients:8.2f}")
    print(f"CPU per client:       cron process and its workers {cron_cpu / clients * 1000:.2f} ms, "
          f"simulator {sim_cpu / clients * 1000:.2f} ms ({os.cpu_count()} cores)")
    print(f"same day again:       {again:8.2f} s   ({again / first:.1%} of the first run), "
          f"{invoices_after - invoices} new invoices, {mails_after - mails} new emails, "
          f"peak RSS {again_peak:.0f} MiB")
    print(f"fetch-only pass:      {fetch:8.2f} s   full run / fetch-only = {first / fetch:.2f}")
    return figures


def speedup(clients: int, latency_ms: int, database_url: str, counts: list[int]) -> None:
    """The month-end with 1, 2, 4... worker processes (fresh database each), and the speed-up."""
    seconds: dict[int, float] = {}
    for workers in counts:
        sim = start_sim(latency_ms)
        try:
            with tempfile.TemporaryDirectory(prefix="hostsim-bench-") as tmp:
                home = Path(tmp)
                smtp = start_smtp(home)
                try:
                    url = fresh_server_database(database_url)
                    seeded = sim.api("POST", "/_sim/seed", json={"bulk": {"users": clients, "servers_per_user": 3,
                                                                          "period": PERIOD}})["bulk"]
                    host = prepare_host(home, url, sim, smtp, clients, int(seeded["first_user_id"]))
                    seconds[workers], _peak, _child, _tail = timed_month_end(host, home, url, f"w{workers}", workers)
                    check_mail(smtp, clients)
                    host.engine.dispose()
                finally:
                    smtp.process.terminate()
                    smtp.process.wait(10)
        finally:
            sim.process.terminate()
            sim.process.wait(10)
        base = seconds[counts[0]]
        print(f"{workers} worker(s): {seconds[workers]:8.2f} s  speed-up {base / seconds[workers]:.2f}x "
              f"({clients:,} clients, {latency_ms} ms latency, every email delivered once)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, action="append", help="clients (repeat for a scaling ratio)")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first run here")
    parser.add_argument("--database-url", help="a PostgreSQL or MariaDB server URL (a database hostsim_bench "
                                               "is created there); default: a SQLite file")
    parser.add_argument("--workers", type=int, action="append",
                        help="instead: the month-end with this many worker processes (repeat: 1, 2, 4) and the "
                             "speed-up; needs --database-url")
    args = parser.parse_args()
    if args.workers:
        if not args.database_url:
            parser.error("--workers: needs --database-url (SQLite runs one worker)")
        speedup((args.clients or [10_000])[0], args.latency_ms, args.database_url, args.workers)
        return
    global PROFILE
    PROFILE = args.profile
    sizes = args.clients or [10_000]
    results = [bench(n, args.latency_ms, args.database_url) for n in sizes]
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratio = (large["first_s"] / large["clients"]) / (small["first_s"] / small["clients"])
        print(f"\ncost per client at {large['clients']:,} / at {small['clients']:,}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
