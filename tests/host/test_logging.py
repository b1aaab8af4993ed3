"""Logging: one root handler for every entry point, text or JSON lines, with the cron run or web
request each record belongs to, and no secret in it."""

from __future__ import annotations

import json
import logging
import re
import socket
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hostsim.cli import main
from hostsim.db.models import CronRun
from hostsim.logs import StderrHandler, configure_logging
from hostsim.services.bootstrap import create_admin
from hostsim.services.mail import Outgoing
from hostsim.web import create_app

ADMIN_PASSWORD = "Admin-Pass-Secret-4711"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each test starts without our handler and leaves the loggers as it found them."""
    root = logging.getLogger()
    quiet = {name: logging.getLogger(name).level for name in ("sqlalchemy", "urllib3")}
    level, handlers = root.level, list(root.handlers)
    for handler in handlers:
        if isinstance(handler, StderrHandler):
            root.removeHandler(handler)
    yield
    for handler in list(root.handlers):
        if isinstance(handler, StderrHandler):
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed: a line that is not JSON fails the test."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, StderrHandler)]


# --- the format --------------------------------------------------------------------------------

def test_json_lines_carry_time_level_logger_message_and_exception(capsys) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("solusio_addon.billing.test")  # an addon's logger reaches the root handler
    log.info("invoiced %d client(s)", 3)
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it broke")
    first, second = json_lines(capsys.readouterr().err)
    assert first["level"] == "INFO" and first["logger"] == "solusio_addon.billing.test"
    assert first["message"] == "invoiced 3 client(s)" and "exception" not in first
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]
    assert not {"cron_run_id", "task", "request_id"} & (first.keys() | second.keys())  # set only when known


def test_text_format_is_one_line_per_record(capsys) -> None:
    configure_logging("WARNING")
    logging.getLogger("hostsim.test").warning("disk %s", "full")
    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\S+Z WARNING hostsim\.test: disk full", line)


def test_configuring_twice_does_not_duplicate_output(capsys) -> None:
    configure_logging("INFO", "text")
    configure_logging("INFO", "json")  # the same handler, now in JSON
    logging.getLogger("hostsim.test").info("once")
    assert len(our_handlers()) == 1
    (record,) = json_lines(capsys.readouterr().err)
    assert record["message"] == "once"


def test_level_from_argument_else_environment_else_warning(monkeypatch, capsys) -> None:
    monkeypatch.delenv("HOSTSIM_LOG_LEVEL", raising=False)
    monkeypatch.delenv("HOSTSIM_LOG_FORMAT", raising=False)
    configure_logging()
    assert logging.getLogger().level == logging.WARNING
    monkeypatch.setenv("HOSTSIM_LOG_LEVEL", "debug")
    monkeypatch.setenv("HOSTSIM_LOG_FORMAT", "json")
    configure_logging()
    assert logging.getLogger().level == logging.DEBUG
    logging.getLogger("hostsim.test").debug("from the environment")
    assert json_lines(capsys.readouterr().err)[-1]["message"] == "from the environment"
    configure_logging("error")
    assert logging.getLogger().level == logging.ERROR
    monkeypatch.setenv("HOSTSIM_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="HOSTSIM_LOG_LEVEL: 'LOUD' is not one of DEBUG, INFO"):
        configure_logging()


def test_the_hostsim_command_takes_level_and_format_from_options_or_environment(host) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--log-level", "error", "--log-format", "JSON", "settings", "show"], obj=host)
    assert result.exit_code == 0, result.output
    assert logging.getLogger().level == logging.ERROR and len(our_handlers()) == 1
    result = runner.invoke(main, ["settings", "show"], obj=host, env={"HOSTSIM_LOG_LEVEL": "info"})
    assert result.exit_code == 0, result.output
    assert logging.getLogger().level == logging.INFO and len(our_handlers()) == 1
    bad = runner.invoke(main, ["--log-level", "loud", "settings", "show"], obj=host)
    assert bad.exit_code == 2 and "--log-level" in bad.stderr
    bad = runner.invoke(main, ["settings", "show"], obj=host, env={"HOSTSIM_LOG_FORMAT": "xml"})
    assert bad.exit_code == 2 and "--log-format" in bad.stderr


# --- context: web requests and cron runs -------------------------------------------------------

def probe_app(host):
    """The host's app with one extra route that logs, as addon code would."""
    app = create_app(host)

    @app.get("/_log_probe")
    def _log_probe() -> str:
        logging.getLogger("solusio_addon.probe").info("serving the probe")
        return "ok"

    return app


def test_a_web_request_carries_its_request_id(host, capsys) -> None:
    configure_logging("INFO", "json")
    client = probe_app(host).test_client()
    given = client.get("/_log_probe", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/_log_probe", headers={"X-Request-ID": 'x" [req=forged] {"level": "CRITICAL"}'})
    generated = made.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    assert re.fullmatch(r"[0-9a-f]{16}", client.get("/_log_probe", headers={"X-Request-ID": "a" * 65}).headers["X-Request-ID"])
    logging.getLogger("hostsim.test").info("after the requests")
    records = json_lines(capsys.readouterr().err)
    probes = [r for r in records if r["message"] == "serving the probe"]
    assert [r["request_id"] for r in probes[:2]] == ["abc-123", generated]
    assert "request_id" not in records[-1]  # reset when the request ended


def test_the_text_format_shows_the_request_id(host, capsys) -> None:
    configure_logging("INFO", "text")
    probe_app(host).test_client().get("/_log_probe", headers={"X-Request-ID": "abcd"})
    assert " INFO solusio_addon.probe [req=abcd]: serving the probe" in capsys.readouterr().err


def test_records_logged_inside_a_cron_task_carry_its_run_id_and_name(host, capsys) -> None:
    """DeliverQueuedMail meets an SMTP server that is down: the mail service's warning, logged
    deep inside the task, names the CronRun and the task."""
    from hostsim.cron import CronRunner

    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none"})
    with host.transaction() as s:
        host.mail.queue(s, [Outgoing("ann@example.com", "Invoice #1", "x")])
    configure_logging("INFO", "json")
    report = CronRunner(host, echo=lambda _m: None, echo_err=lambda _m: None).run("do", ["DeliverQueuedMail"])
    assert report.status_of("DeliverQueuedMail") == "failed"  # its counters say 1 failed
    logging.getLogger("hostsim.test").info("after the run")
    with host.sessions() as s:
        (run,) = s.scalars(select(CronRun).where(CronRun.task_name == "DeliverQueuedMail"))
    records = json_lines(capsys.readouterr().err)
    (warning,) = [r for r in records if r["logger"] == "hostsim.services.mail"]
    assert warning["level"] == "WARNING" and "mail to ann@example.com failed" in warning["message"]
    assert (warning["cron_run_id"], warning["task"]) == (run.id, "DeliverQueuedMail")
    assert {(r["cron_run_id"], r["task"]) for r in records if r["logger"] == "hostsim.cron.runner"} == {
        (run.id, "DeliverQueuedMail")}
    assert "cron_run_id" not in records[-1] and "task" not in records[-1]


def test_the_text_format_shows_the_run_and_task(host, capsys) -> None:
    from hostsim.cron import CronRunner

    configure_logging("INFO", "text")
    CronRunner(host, echo=lambda _m: None).run("do", ["PruneLoginFailures"])
    with host.sessions() as s:
        run_id = s.scalars(select(CronRun.id).where(CronRun.task_name == "PruneLoginFailures")).one()
    assert f"[run={run_id} task=PruneLoginFailures]: finished: success" in capsys.readouterr().err


# --- secrets -----------------------------------------------------------------------------------

def test_no_secret_reaches_the_log_even_at_debug(host, capsys) -> None:
    """A login through the web form (right and wrong password), an admin created and the SMTP
    password set through the CLI, all at DEBUG in JSON: none of the secrets is in the output."""
    configure_logging("DEBUG", "json")
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    client = create_app(host).test_client()
    for password in ("Wrong-Guess-Secret-1", ADMIN_PASSWORD):
        token = CSRF_RE.search(client.get("/admin/login").text)
        assert token is not None
        client.post("/admin/login", data={"csrf_token": token.group(1), "username": "boss", "password": password})
    assert client.get("/admin/").status_code == 200  # logged in
    session_cookie = client.get_cookie("hostsim_session")
    assert session_cookie is not None
    runner = CliRunner()
    result = runner.invoke(main, ["--log-level", "debug", "--log-format", "json", "admin", "create", "tom",
                                  "--email", "tom@example.com", "--password-stdin"], obj=host, input="Cli-Admin-Secret-2\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--log-level", "debug", "--log-format", "json", "settings", "set",
                                  "--smtp-password-stdin"], obj=host, input="Smtp-Secret-3\n")
    assert result.exit_code == 0, result.output
    output = capsys.readouterr().err + result.stderr
    json_lines(output)
    for secret in (ADMIN_PASSWORD, "Wrong-Guess-Secret-1", "Cli-Admin-Secret-2", "Smtp-Secret-3", session_cookie.value):
        assert secret not in output
    # SQL statements (and their parameters) stay out even at DEBUG
    assert not [line for line in output.splitlines() if '"logger": "sqlalchemy' in line]
