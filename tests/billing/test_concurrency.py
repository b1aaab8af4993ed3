"""Billing runs in real processes: two at once, and one killed at random points, against the
same database and the same simulator. Whatever happens, each (client, month) is invoiced once,
for the right amount, and each invoice is emailed once.

On SQLite the database is a file both processes open; on PostgreSQL and MariaDB (chosen by
``HOSTSIM_TEST_DATABASE_URL``) it is this test process's server database.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hostsim.db.models import EmailLog, Invoice
from solusio_addon.db.models import BilledPeriod

from .conftest import World

AUG_1 = date(2026, 8, 1)
JULY = date(2026, 7, 1)
CLIENTS = 40
PRICE = Decimal("0.0010")
ROOT = Path(__file__).resolve().parents[2]


def populate(world: World) -> dict[int, Decimal]:
    """CLIENTS enrolled clients; most ran a server in July (some past the monthly cap), every
    seventh did not. Returns the expected July total of each client that has usage."""
    world.set_prices(USD=str(PRICE))
    expected: dict[int, Decimal] = {}
    enrolled = world.enrol_many([f"c{n:02d}@example.com" for n in range(CLIENTS)])
    for n, (client_id, user_id) in enumerate(enrolled):
        if n % 7 == 3:
            continue  # no usage: a ledger row, no invoice
        hours = 20 * n + 5  # up to 785 h: the last ones hit the 5000-token cap (7 tokens/h)
        stop = f"2026-07-{1 + hours // 24:02d}T{hours % 24:02d}:00:00" if hours < 744 else None
        world.server(user_id, "2026-07-01T00:00:00", stop, name=f"vm-{n}")
        tokens = min(hours, 744) * 7
        expected[client_id] = (Decimal(min(tokens, 5000)) * PRICE).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return expected


def worker(world: World, *, batch_size: int = 5, workers: int = 4) -> subprocess.Popen[str]:
    host = world.host
    cmd = [sys.executable, "-m", "tests.billing.run_worker",
           "--database-url", host.engine.url.render_as_string(hide_password=False),
           "--home", str(host.config.home), "--sim-url", world.sim.url,
           f"--token={world.sim.admin_token}", "--today", AUG_1.isoformat(),
           "--batch-size", str(batch_size), "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> dict[str, object]:
    """Wait for a worker; it must succeed. Its report (the JSON after "done ")."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{out}\n{err}"
    done = [line for line in out.splitlines() if line.startswith("done ")]
    assert done, out + err
    report: dict[str, object] = json.loads(done[-1][5:])
    return report


def wait_started(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "started", line + (proc.stderr.read() if proc.stderr else "")


def outcome(world: World) -> tuple[dict[int, Decimal], Counter[tuple[int, date]], Counter[int], list[int]]:
    """(invoice total per client, invoices per (client, month), invoice emails per invoice,
    ledger rows whose invoice was never marked emailed)."""
    host = world.host
    with host.sessions() as s:
        rows = s.execute(select(BilledPeriod.client_id, BilledPeriod.period_start, Invoice.id, Invoice.total)
                         .join(Invoice, Invoice.id == BilledPeriod.invoice_id)).all()
        invoices_per_client = Counter(s.scalars(select(Invoice.client_id)))
        subjects = list(s.scalars(select(EmailLog.subject).where(EmailLog.subject.like("%Invoice #%"))))
        unmarked = list(s.scalars(select(BilledPeriod.invoice_id).where(
            BilledPeriod.invoice_id.is_not(None), BilledPeriod.emailed_at.is_(None))))
        ledger_rows = s.scalar(select(func.count()).select_from(BilledPeriod))
    assert sum(invoices_per_client.values()) == len(rows), "an invoice without a ledger row"
    assert ledger_rows == CLIENTS
    totals = {client_id: total for client_id, _start, _id, total in rows}
    per_period = Counter((client_id, start) for client_id, start, _id, _total in rows)
    emails = Counter(int(subject.rsplit("#", 1)[1]) for subject in subjects)
    for _c, _s, invoice_id, _t in rows:
        emails.setdefault(invoice_id, 0)
    return totals, per_period, emails, unmarked


def assert_billed_once(world: World, expected: dict[int, Decimal]) -> None:
    totals, per_period, emails, unmarked = outcome(world)
    assert totals == expected
    assert set(per_period) == {(client_id, JULY) for client_id in expected}
    assert set(per_period.values()) == {1}, "a (client, month) was invoiced twice"
    assert unmarked == []
    assert {i: n for i, n in emails.items() if n != 1} == {}, "an invoice was not emailed exactly once"


@pytest.mark.slow
def test_two_runs_at_once_invoice_each_client_once(world: World) -> None:
    expected = populate(world)
    world.sim.faults.latency_ms = 30  # both runs are still asking SolusIO when the other writes
    # On MariaDB the two runs' claims can deadlock; the database rolls one batch back and the
    # run tries that batch again, so both runs finish.
    procs = [worker(world), worker(world)]  # both started before either is waited for
    reports = [finish(proc) for proc in procs]
    assert_billed_once(world, expected)
    assert all(r["failed"] == 0 for r in reports), reports
    assert sum(int(r["invoiced"]) for r in reports) == len(expected)  # type: ignore[call-overload]


def test_a_clean_run_gives_the_expected_invoices(world: World) -> None:
    expected = populate(world)
    report = world.automation(batch_size=5, workers=4).run(AUG_1)
    assert report.invoiced == len(expected) and report.no_usage == CLIENTS - len(expected)
    assert_billed_once(world, expected)


KILLS = 5
LATENCY_MS = 30  # each SolusIO answer of the killed runs: a run lasts long enough to be caught part-way


def ledger_rows(world: World) -> int:
    with world.host.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(BilledPeriod)) or 0)


@pytest.mark.slow
@pytest.mark.parametrize("iteration", range(KILLS))
def test_killed_at_a_random_point_then_a_clean_run(world: World, iteration: int) -> None:
    """SIGKILL the run part-way, each iteration further into it, then run again: the end result
    is exactly a clean run's. The kill point is found by progress, not by time (a run's duration
    depends on the machine and the backend): once the ledger holds ``iteration`` sixths of the
    clients, plus a seeded pause shorter than one SolusIO answer, so the kill lands anywhere in
    the next batch (fetching, writing, or delivering the mail of the batch just committed)."""
    expected = populate(world)
    world.sim.faults.latency_ms = LATENCY_MS
    proc = worker(world)
    wait_started(proc)
    kill_after = iteration * CLIENTS // (KILLS + 1)  # 0, 6, 13, 20, 26 of 40 rows
    give_up = time.monotonic() + 60  # only against a hung worker
    while ledger_rows(world) < kill_after:
        assert proc.poll() is None, f"the run ended before its kill point:\n{proc.communicate()}"
        assert time.monotonic() < give_up, "the run made no progress"
        time.sleep(0.002)
    time.sleep(random.Random(1000 + iteration).uniform(0, LATENCY_MS / 1000))
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    # Interrupted for real: a run that had already finished would have printed its report.
    assert proc.returncode == -signal.SIGKILL and "done " not in out, out
    world.sim.faults.latency_ms = 0
    world.automation(batch_size=5, workers=4).run(AUG_1)
    assert_billed_once(world, expected)


# --- the windows where an invoice email could go out twice (closed by the outbox) ---------------
# Each invoice's email is queued in the same transaction as the invoice; delivery comes after
# the commit. These two tests force the interleavings the process tests can only hit by chance.


def test_an_overlapping_run_does_not_mail_the_others_invoices(world: World) -> None:
    """Run B runs whole between run A's first commit and A's delivery of that batch's mail."""
    expected = populate(world)
    first, second = world.automation(batch_size=5, workers=4), world.automation(batch_size=5, workers=4)
    mailer = world.host.mail
    original = mailer.deliver
    interleaved = []

    def deliver_after_the_other_run(ids=None):  # type: ignore[no-untyped-def]
        if not interleaved:
            interleaved.append(True)
            second.run(AUG_1)
        return original(ids)

    mailer.deliver = deliver_after_the_other_run
    try:
        first.run(AUG_1)
    finally:
        mailer.deliver = original
    assert interleaved
    assert_billed_once(world, expected)


def test_a_crash_between_commit_and_delivery_does_not_mail_again(world: World) -> None:
    expected = populate(world)
    mailer = world.host.mail
    original = mailer.deliver

    def die(ids=None):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # the process dies right after the batch (and its mail) committed

    mailer.deliver = die
    try:
        with pytest.raises(KeyboardInterrupt):
            world.automation(batch_size=5, workers=4).run(AUG_1)
    finally:
        mailer.deliver = original
    world.automation(batch_size=5, workers=4).run(AUG_1)
    assert_billed_once(world, expected)
