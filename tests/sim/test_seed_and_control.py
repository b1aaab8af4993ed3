"""Bulk generation, the /_sim control API and the command line."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest
import requests
from click.testing import CliRunner

from solusio_sim import SimServer, SimState
from solusio_sim.cli import is_loopback, main
from solusio_sim.logs import JsonFormatter
from solusio_sim.seed import bulk_generate, month_bounds
from tests.loopback_cases import LOOPBACK_CASES

from .conftest import Api


@pytest.mark.slow
def test_bulk_generate_50000_users_with_3_servers_each() -> None:
    state = SimState()
    start, end = month_bounds("2026-07")
    state.clock.set(datetime(2026, 8, 1, tzinfo=timezone.utc))
    info = bulk_generate(state, users=50_000, servers_per_user=3, period_start=start,
                         period_end=end, billing_user_id_start=1000)
    assert info["users"] == 50_000 and info["servers"] == 150_000
    assert len(state.users) == 50_001 and len(state.servers) == 150_000
    user = state.find_user_by_email("USER50999@bulk.solusio.test")
    assert user is not None and user.billing_user_id == 50_999
    assert len(state.user_servers(user.id, include_deleted=True)) == 3
    usage = state.usage(user.id, start, end)
    assert usage["total_tokens"] > 0 and usage["items"]
    with SimServer(state=state) as sim:
        api = Api(sim.api_url, sim.admin_token)
        page = api.get("users", params={"page": 3334}).json()
        assert page["meta"]["total"] == 50_001 and page["meta"]["last_page"] == 3334
        found = api.get("users", params={"filter[search]": "user1000@"}).json()
        assert [u["billing_user_id"] for u in found["data"]] == [1000]


def test_control_api(sim: SimServer) -> None:
    admin = {"Authorization": f"Bearer {sim.admin_token}"}
    assert requests.get(f"{sim.url}/_sim/requests", timeout=5).status_code == 401

    resp = requests.post(f"{sim.url}/_sim/seed", headers=admin, timeout=5, json={
        "plans": [{"name": "Tiny", "tokens_per_hour": 2, "tokens_per_month": 1000}],
        "users": [{"email": "seeded@example.com", "billing_user_id": 5}],
        "bulk": {"users": 20, "servers_per_user": 2, "period": "2026-07",
                 "billing_user_id_start": 100}})
    assert resp.status_code == 201, resp.text
    seeded = resp.json()["data"]
    assert seeded["bulk"]["servers"] == 40
    user_id = seeded["users"][0]
    resp = requests.post(f"{sim.url}/_sim/seed", headers=admin, timeout=5, json={
        "servers": [{"user_id": user_id, "plan_id": seeded["plans"][0],
                     "created_at": "2026-07-01T00:00:00Z", "stopped_at": "2026-07-01T10:00:00Z"}]})
    assert resp.status_code == 201
    assert requests.post(f"{sim.url}/_sim/seed", headers=admin, timeout=5, json={
        "users": [{"email": "seeded@example.com"}]}).status_code == 422

    resp = requests.post(f"{sim.url}/_sim/clock", headers=admin, timeout=5,
                         json={"set": "2026-08-01T00:00:00Z", "advance_seconds": 3600})
    assert resp.json()["data"] == {"now": "2026-08-01T01:00:00.000000Z", "frozen": True}
    assert sim.state.clock.now() == datetime(2026, 8, 1, 1, tzinfo=timezone.utc)

    api = Api(sim.api_url, sim.admin_token)
    usage = api.get(f"users/{user_id}/usage", params={
        "filter[from]": "2026-07-01T00:00:00Z", "filter[to]": "2026-08-01T00:00:00Z"}).json()
    assert usage["data"]["total_tokens"] == 20

    resp = requests.post(f"{sim.url}/_sim/faults", headers=admin, timeout=5,
                         json={"rate_limit_next": 1, "retry_after": 5, "latency_ms": 1})
    assert resp.status_code == 200 and resp.json()["data"]["rate_limit_next"] == 1
    assert api.get("account").status_code == 429
    assert requests.post(f"{sim.url}/_sim/faults", headers=admin, timeout=5,
                         json={"bogus": 1}).status_code == 422

    requests.delete(f"{sim.url}/_sim/requests", headers=admin, timeout=5)
    api.get("account")
    log = requests.get(f"{sim.url}/_sim/requests", headers=admin, timeout=5).json()["data"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/api/v1/account", 200)]
    state = requests.get(f"{sim.url}/_sim/state", headers=admin, timeout=5).json()["data"]
    assert state["users"] == 1 + 1 + 20 and state["faults"]["latency_ms"] == 1


def test_cli_refuses_non_loopback_and_requires_period() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code != 0 and "--allow-remote" in result.output
    result = runner.invoke(main, ["serve", "--port", "0", "--bulk-users", "5"])
    assert result.exit_code != 0 and "--period" in result.output


@pytest.mark.parametrize("args, option, says", [
    (["--period", "2026-13", "--bulk-users", "1"], "--period", "write the month as YYYY-MM"),
    (["--period", "abc", "--bulk-users", "1"], "--period", "write the month as YYYY-MM"),
    (["--period", "26-7", "--bulk-users", "1"], "--period", "write the month as YYYY-MM"),
    (["--period", "2026-7"], "--period", "write the month as YYYY-MM"),
    (["--period", "\u0662\u0660\u0662\u0666-07"], "--period", "write the month as YYYY-MM"),
    (["--period", "0001-01"], "--period", "the year must be from 2000 to 2199"),
    (["--period", "9999-12", "--bulk-users", "1"], "--period", "the year must be from 2000 to 2199"),
    (["--port", "70000"], "--port", "0<=x<=65535"),
    (["--port", "-1"], "--port", "0<=x<=65535"),
    (["--page-size", "0"], "--page-size", "x>=1"),
    (["--bulk-users", "-3", "--period", "2026-07"], "--bulk-users", "x>=0"),
    (["--servers-per-user", "-1"], "--servers-per-user", "x>=0"),
    (["--billing-user-id-start", "0"], "--billing-user-id-start", "1<=x<=2147483647"),
    (["--billing-user-id-start", "99999999999999999999"], "--billing-user-id-start", "1<=x<=2147483647"),
    (["--billing-user-id-start", "2147483647", "--bulk-users", "2", "--period", "2026-07"], "--billing-user-id-start",
     "would pass 2147483647"),
    (["--latency-ms", "-5"], "--latency-ms", "0<=x<=600000"),
    (["--latency-ms", "nan"], "--latency-ms", "not a finite number"),
    (["--latency-ms", "inf"], "--latency-ms", "not a finite number"),
    (["--error-rate", "2"], "--error-rate", "0<=x<=1"),
    (["--error-rate", "nan"], "--error-rate", "not a finite number"),
    (["--admin-token", ""], "--admin-token", "printable ASCII"),
    (["--admin-token", "a b"], "--admin-token", "printable ASCII"),
    (["--allow-remote", "--host", "a" * 70], "--host", "not a host name or address"),
    (["--allow-remote", "--host", "\udcff"], "--host", "not a host name or address"),
])
def test_cli_refuses_bad_values_naming_the_option(args: list[str], option: str, says: str) -> None:
    """A usage error (exit 2) that names the option, never a traceback."""
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--seed", "none", *args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert f"Invalid value for '{option}'" in result.output and says in result.output, result.output
    assert "Traceback" not in result.output


def test_month_bounds_is_strict_and_its_years_are_the_hosts() -> None:
    from hostsim.clock import MAX_YEAR, MIN_YEAR
    from solusio_sim import seed

    assert (seed.MIN_YEAR, seed.MAX_YEAR) == (MIN_YEAR, MAX_YEAR)
    assert month_bounds(" 2026-12 ") == (datetime(2026, 12, 1, tzinfo=timezone.utc),
                                         datetime(2027, 1, 1, tzinfo=timezone.utc))
    for bad in ("26-7", "2026-13", "2026-00", "1999-12", "2200-01", "abc", "", 202607, None):
        with pytest.raises(ValueError, match="period"):
            month_bounds(bad)  # type: ignore[arg-type]


def test_control_api_refuses_a_bad_bulk_period(sim: SimServer) -> None:
    admin = {"Authorization": f"Bearer {sim.admin_token}"}
    for period in ("2026-13", 202607, "26-7"):
        resp = requests.post(f"{sim.url}/_sim/seed", headers=admin, timeout=5,
                             json={"bulk": {"users": 1, "period": period}})
        assert resp.status_code == 422 and "YYYY-MM" in resp.text, (period, resp.status_code, resp.text)


def _start_cli(args: list[str], env: dict[str, str], *, before: tuple[str, ...] = (),
               stderr: int = subprocess.STDOUT) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``solusio-sim [before] serve ...`` and read its stdout up to the admin token line."""
    proc = subprocess.Popen([sys.executable, "-m", "solusio_sim", *before, "serve", "--port", "0",
                             *args], stdout=subprocess.PIPE, stderr=stderr,
                            text=True, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    guard = threading.Timer(20, proc.kill)  # a CLI that never prints its token must not hang the run
    guard.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("admin token:"):
                return proc, lines
    finally:
        guard.cancel()
    proc.kill()
    raise AssertionError("".join(lines))


def test_cli_serves_in_another_process() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOLUSIO_SIM_ADMIN_TOKEN"}
    proc, lines = _start_cli(["--bulk-users", "30", "--period", "2026-07", "--page-size",
                              "10"], env)
    try:
        url = re.search(r"(http://127\.0\.0\.1:\d+)", "".join(lines)).group(1)  # type: ignore[union-attr]
        token = lines[-1].split(":", 1)[1].strip()
        api = Api(url + "/api/v1/", token)
        meta = api.get("users").json()["meta"]
        assert (meta["total"], meta["per_page"], meta["last_page"]) == (31, 10, 4)
        assert [p["name"] for p in api.get("plans").json()["data"]] == [
            "Small", "Medium", "Large"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    env["SOLUSIO_SIM_ADMIN_TOKEN"] = "env-supplied-token-123"
    proc, lines = _start_cli(["--seed", "none"], env)
    try:
        assert "env-supplied-token-123" not in "".join(lines)
        url = re.search(r"(http://127\.0\.0\.1:\d+)", "".join(lines)).group(1)  # type: ignore[union-attr]
        api = Api(url + "/api/v1/", "env-supplied-token-123")
        assert api.get("plans").json()["meta"]["total"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("host, loopback", LOOPBACK_CASES)  # the cases hostsim serve's copy is tested with
def test_only_loopback_hosts_are_bound_without_allow_remote(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_cli_logs_json_lines_at_the_level_from_the_environment() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLUSIO_SIM_")}
    env["SOLUSIO_SIM_LOG_LEVEL"] = "debug"
    proc, lines = _start_cli(["--seed", "none", "--admin-token", "tok-123"], env,
                             before=("--log-format", "json"), stderr=subprocess.PIPE)
    try:
        url = re.search(r"(http://127\.0\.0\.1:\d+)", "".join(lines)).group(1)  # type: ignore[union-attr]
        assert Api(url + "/api/v1/", "tok-123").get("account").status_code == 200
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    records = [json.loads(line) for line in err.splitlines()]  # every line is one JSON object
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert {"logger": "solusio_sim.cli", "level": "INFO"}.items() <= records[0].items()
    assert url in records[0]["message"] and records[0]["time"].endswith("+00:00")
    access = [r for r in records if r["logger"] == "solusio_sim.app"]
    assert access and access[0]["level"] == "DEBUG" and access[0]["message"].startswith("GET /api/v1/account -> 200")


def test_json_log_records_carry_the_traceback_on_their_own_line() -> None:
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        record = logging.getLogger("solusio_sim.app").makeRecord(
            "solusio_sim.app", logging.ERROR, __file__, 1, "failed on %s\nsecond line", ("GET /x",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed on GET /x\nsecond line" and entry["level"] == "ERROR"
    assert entry["exc_info"].startswith("Traceback") and "ZeroDivisionError: boom" in entry["exc_info"]



@pytest.mark.parametrize("host", ["[::1]", "::1"])
def test_cli_serves_on_ipv6_loopback_written_either_way(host: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOLUSIO_SIM_ADMIN_TOKEN"}
    proc, lines = _start_cli(["--host", host], env)
    try:
        url = re.search(r"(http://\[::1\]:\d+)", "".join(lines)).group(1)  # type: ignore[union-attr]
        token = lines[-1].split(":", 1)[1].strip()
        assert Api(url + "/api/v1/", token).get("account").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
