"""``hostsim demo`` end to end: the story's real results, secrets kept, re-runs, ``--serve``."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from click.testing import CliRunner, Result
from sqlalchemy import select

import solusio_addon.plugin
from hostsim.cli import main
from hostsim.config import HostConfig
from hostsim.db.models import ActivityLog, Client, CreditEntry, CronRun, EmailLog, Invoice, Payment
from hostsim.host import Host
from hostsim.plugins.manager import AUTOLOAD_ENV, get_plugin_manager
from solusio_addon.admin import settings as addon_settings
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.demo.home import MARKER
from solusio_addon.demo.hooks import register_commands
from solusio_addon.demo.servers import bind_web
from solusio_sim.state import SimState

# The demo always makes its own SQLite instance: .ci/run runs these in the SQLite pass only.
pytestmark = [pytest.mark.slow]

EXPECTED = {  # email -> (currency, total, number of lines)
    "ada@example.com": ("USD", Decimal("11.76"), 1),
    "grace@example.com": ("EUR", Decimal("92.00"), 1),
    "alan@example.com": ("USD", Decimal("32.64"), 2),
}


@dataclass
class Run:
    cwd: Path
    home: Path
    result: Result
    statuses: list[tuple[str, str]]  # (email, status) as the simulator's users changed, in order

    @property
    def output(self) -> str:
        return self.result.output


def open_host(home: Path) -> Host:
    config = HostConfig(home=home, database_url=f"sqlite:///{home / 'hostsim.sqlite3'}",
                        base_url="http://127.0.0.1")
    return Host(config, pm=get_plugin_manager(autoload=False, addons=[("solusio", solusio_addon.plugin)]))


def invoke(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``hostsim ARGS`` in ``cwd``. The installed addons are loaded, as for a user: ``demo`` is
    the SolusIO addon's command (``register_commands``), not a built-in."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), env={AUTOLOAD_ENV: "0", **(env or {})}, catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One ``hostsim demo`` in a fresh folder (HOSTSIM_HOME set elsewhere: the demo ignores it),
    with every status change of a SolusIO user in the simulator recorded."""
    cwd = tmp_path_factory.mktemp("fresh")
    elsewhere = tmp_path_factory.mktemp("my-instance")
    statuses: list[tuple[str, str]] = []
    original = SimState.set_user_status

    def recording(self: SimState, user_id: int, status: str, at: Any = None) -> Any:
        user = original(self, user_id, status, at)
        statuses.append((user.email, status))
        return user

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SimState, "set_user_status", recording)
        result = invoke(cwd, "demo", env={"HOSTSIM_HOME": str(elsewhere), "HOSTSIM_DATABASE_URL": ""})
    assert not any(elsewhere.iterdir())
    yield Run(cwd, cwd / "hostsim-demo", result, statuses)


def test_story_succeeds_in_the_default_folder(demo: Run) -> None:
    assert demo.result.exit_code == 0, demo.output
    assert (demo.home / "hostsim.sqlite3").exists() and (demo.home / ".hostsim-demo").exists()
    for n, header in enumerate(["A SolusIO simulator", "Activate the SolusIO addon", "Three visitors sign up",
                                "They run servers in SolusIO during July", "SolusioAutomation runs on 2026-08-01",
                                "2026-08-05: two clients pay", "2026-08-22", "2026-08-29", "2026-08-30",
                                "Summary"], start=1):
        assert f"== {n}. {header}" in demo.output


def test_three_clients_signed_up_through_the_emailed_link(demo: Run) -> None:
    host = open_host(demo.home)
    with host.sessions() as s:
        clients = {c.email: c for c in s.scalars(select(Client))}
        enrolments = {e.client_id: e for e in s.scalars(select(Enrolment))}
        links = [e.to for e in s.scalars(select(EmailLog).where(EmailLog.subject.startswith("Finish your cloud")))]
        currencies = {c.email: c.currency.code for c in clients.values()}
    host.engine.dispose()
    assert set(clients) == set(EXPECTED)
    assert sorted(links) == sorted(EXPECTED)
    for client in clients.values():
        assert client.email_verified
        enrolment = enrolments[client.id]
        assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.solusio_user_id
        assert enrolment.tos_accepted_at is not None and enrolment.postpay_terms_accepted_at is not None
    assert currencies == {email: code for email, (code, _t, _n) in EXPECTED.items()}


def test_july_invoiced_with_the_expected_totals_and_lines(demo: Run) -> None:
    host = open_host(demo.home)
    with host.sessions() as s:
        invoices = {i.client.email: (i.currency.code, i.total, i.status.value, str(i.date), str(i.due_date),
                                     [item.description for item in i.items]) for i in s.scalars(select(Invoice))}
    host.engine.dispose()
    assert set(invoices) == set(EXPECTED)
    for email, (code, total, lines) in EXPECTED.items():
        got_code, got_total, status, dated, due, descriptions = invoices[email]
        assert (got_code, got_total, status, dated, due) == (code, total, "Paid", "2026-08-01", "2026-08-15")
        assert len(descriptions) == lines
    assert "monthly cap of 10000 tokens applied" in invoices["grace@example.com"][5][0]
    assert invoices["alan@example.com"][5][1].startswith("Additional IPs alan-app")
    # printed with their lines
    assert "$11.76  Server ada-web (Small plan), 2026-07-01 to 2026-07-31: 168 h, 1176 tokens" in demo.output
    assert "$4.08  Additional IPs alan-app" in demo.output and "$32.64  Total" in demo.output
    assert "€92.00  Total" in demo.output


def test_automation_ran_through_the_cron_runner(demo: Run) -> None:
    host = open_host(demo.home)
    with host.sessions() as s:
        runs = [(str(r.as_of), r.status, r.counters) for r in
                s.scalars(select(CronRun).where(CronRun.task_name == "SolusioAutomation").order_by(CronRun.id))]
    host.engine.dispose()
    assert [(day, status) for day, status, _c in runs] == [
        ("2026-08-01", "success"), ("2026-08-22", "success"), ("2026-08-29", "success")]
    assert '"invoiced": 3' in runs[0][2] and '"locked": 1' in runs[1][2] and '"suspended": 1' in runs[2][2]


def test_unpaid_client_locked_suspended_then_reactivated_in_the_simulator(demo: Run) -> None:
    grace = [status for email, status in demo.statuses if email == "grace@example.com"]
    assert grace == ["locked", "suspended", "active"]
    assert not [s for e, s in demo.statuses if e != "grace@example.com"]
    assert "<grace@example.com> is locked" in demo.output
    assert "<grace@example.com> is suspended; servers: grace-build stopped (suspended)" in demo.output
    assert "<grace@example.com> is active" in demo.output
    host = open_host(demo.home)
    with host.sessions() as s:
        activity = list(s.scalars(select(ActivityLog.description).order_by(ActivityLog.id)))
    host.engine.dispose()
    changes = [m.group(1) for m in map(re.compile(r"^SolusIO user #\d+ (\w+ -> \w+):").match, activity) if m]
    assert changes == ["active -> locked", "locked -> suspended", "suspended -> active"]


def test_summary(demo: Run) -> None:
    summary = demo.output.split("Summary", 1)[1]
    assert "Clients:        3" in summary
    assert "Invoices:       3 (3 Paid) - EUR: 1 for €92.00; USD: 2 for $44.40" in summary
    assert "SolusIO users:  Ada active, Grace active, Alan active" in summary
    assert "Payments:       3 - Bank Transfer: 1, Card (Sandbox): 1, Credit: 1" in summary
    assert "3 x SolusioAutomation" in summary and "Emails:         12" in summary
    assert "Time taken:" in summary


def test_each_client_paid_its_own_way_through_the_hosts_paths(demo: Run) -> None:
    host = open_host(demo.home)
    with host.sessions() as s:
        invoices = {i.client.email: i for i in s.scalars(select(Invoice))}
        payments = {p.invoice_id: (p.gateway, p.amount, p.transaction_id) for p in s.scalars(select(Payment))}
        credit = [(e.client_id, e.amount, e.reason, e.actor) for e in s.scalars(select(CreditEntry).order_by(CreditEntry.id))]
        activity = list(s.scalars(select(ActivityLog.description)))
        ada, grace, alan = (invoices[e] for e in ("ada@example.com", "grace@example.com", "alan@example.com"))
        methods = {i.client.email: i.payment_method for i in invoices.values()}
    entries, _n = host.gateway_callbacks.entries(gateway="sandbox")
    host.engine.dispose()
    assert methods == {"ada@example.com": "banktransfer", "grace@example.com": "sandbox", "alan@example.com": "credit"}
    assert payments[ada.id] == ("banktransfer", Decimal("11.76"), f"DEMO-{ada.id}")
    gateway, amount, txn = payments[grace.id]
    assert (gateway, amount) == ("sandbox", Decimal("92.00")) and txn.startswith("sbx_")
    assert [(e.outcome, e.invoice_id, e.transaction_id) for e in entries] == [("paid", grace.id, txn)]
    assert alan.id not in payments and alan.credit == Decimal("32.64")  # credit, not a payment
    assert credit == [(alan.client_id, Decimal("40.00"), "Goodwill for the network maintenance in July", "admin"),
                      (alan.client_id, Decimal("-32.64"), f"Credit applied to invoice #{alan.id}",
                       "Client alan@example.com")]
    assert f"Payment of €92.00 by Card (Sandbox) added to invoice #{grace.id} (invoice paid)" in activity
    assert f"Credit of $32.64 applied to invoice #{alan.id} (invoice paid)" in activity
    # the client's side, as printed: the locked panel's link, the hosted page, Apply Credit
    assert f"Grace logs in; the SolusIO panel says the account is held and links to invoice #{grace.id}" in demo.output
    assert "takes the test card 4242 4242 4242 4242" in demo.output
    assert f"Alan logs in and clicks Apply Credit on invoice #{alan.id}: Paid, $32.64 from credit" in demo.output


def test_no_secret_in_the_output_and_the_admin_password_once(demo: Run) -> None:
    host = open_host(demo.home)
    connection = addon_settings.load_connection(host)
    sandbox_secret = host.payment_gateways.settings("sandbox")["secret"]
    host.engine.dispose()
    assert connection.api_key and connection.integration_secret and sandbox_secret
    assert connection.api_key not in demo.output
    assert connection.integration_secret not in demo.output
    assert sandbox_secret not in demo.output
    assert (demo.home / "secret.key").read_text().strip() not in demo.output
    [line] = [line for line in demo.output.splitlines() if "shown only once" in line]
    password = line.rsplit(": ", 1)[1]
    assert demo.output.count(password) == 1


def test_rerun_in_the_same_folder_is_refused_then_reset_starts_clean(demo: Run) -> None:
    key_before = (demo.home / "secret.key").read_text()
    again = invoke(demo.cwd, "demo")
    assert again.exit_code == 2
    assert "holds the demo of an earlier run" in again.output and "--reset" in again.output
    assert (demo.home / "secret.key").read_text() == key_before  # nothing touched
    # the global --home names the folder too; --reset deletes the earlier demo first
    fresh = invoke(demo.cwd, "--home", str(demo.home), "demo", "--reset")
    assert fresh.exit_code == 0, fresh.output
    assert (demo.home / "secret.key").read_text() != key_before
    assert "Invoices:       3 (3 Paid)" in fresh.output


def test_a_folder_the_demo_did_not_make_is_never_used(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = invoke(tmp_path, "demo", "--home", str(mine), "--reset")
    assert result.exit_code == 2 and "was not made by 'hostsim demo'" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_serve_keeps_the_ui_and_the_simulator_running(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", AUTOLOAD_ENV: "0"}
    env.pop("HOSTSIM_HOME", None)
    process = subprocess.Popen([sys.executable, "-c", "from hostsim.cli import main; main()", "demo", "--serve",
                                "--home", str(tmp_path / "served")], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore
    seen: list[str] = []
    try:
        while not any("clocks stay on" in line for line in seen):
            try:
                seen.append(lines.get(timeout=60))
            except queue.Empty:
                pytest.fail("--serve did not get ready:\n" + "".join(seen))
        text = "".join(seen)
        admin_url = re.search(r"Admin area:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
        password = re.search(r"Admin login:.*\(shown only once, store it now\): (\S+)", text).group(1)  # type: ignore
        sim_url = re.search(r"SolusIO simulator: (\S+)", text).group(1)  # type: ignore[union-attr]
        assert "ada@example.com" in text and "Cloud-Demo-2026!" in text
        with requests.Session() as http:
            http.trust_env = False
            page = http.get(admin_url + "login", timeout=10)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            login = http.post(admin_url + "login", data={"username": "admin", "password": password,
                                                         "csrf_token": token}, allow_redirects=False, timeout=10)
            assert login.status_code == 302 and "login" not in login.headers["Location"]
            assert http.get(sim_url + "_sim/state", timeout=10).status_code in (200, 401)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_reset_with_a_busy_port_keeps_the_earlier_demo(tmp_path: Path) -> None:
    """The port is checked before --reset deletes anything: a busy port changes nothing."""
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / MARKER).write_text("made by the demo\n")
    (earlier / "secret.key").write_text("the earlier demo's key")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = invoke(tmp_path, "demo", "--home", str(earlier), "--reset", "--port", str(port))
    assert result.exit_code == 2, result.output
    assert f"--port {port}: cannot listen on 127.0.0.1:{port}" in result.output and "nothing was changed" in result.output
    assert sorted(p.name for p in earlier.iterdir()) == sorted([MARKER, "secret.key"])
    assert (earlier / "secret.key").read_text() == "the earlier demo's key"


def test_the_web_server_sleeps_while_idle() -> None:
    """waitress reads its loop timeout as an int: a fraction became 0 and ``--serve`` spun a whole
    core while idle. The demo's server keeps a positive timeout."""
    web = bind_web(0)
    try:
        assert web.loop_timeout > 0
    finally:
        web.stop()


def test_demo_is_the_addons_command_not_the_hosts() -> None:
    from hostsim.cli import BUILTIN_COMMANDS

    assert "demo" not in BUILTIN_COMMANDS
    assert [c.name for c in register_commands()] == ["demo"]
    listed = CliRunner().invoke(main, ["--help"], env={AUTOLOAD_ENV: "0"})
    assert re.search(r"^\s+demo\s+Tell the SolusIO post-pay story", listed.output, re.M), listed.output
