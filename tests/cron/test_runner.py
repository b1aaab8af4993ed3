"""Due-ness, do/skip/force, failures, counters and the cron hooks, through the runner and the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from hostsim.clock import clock
from hostsim.cron import CronRunner, UnknownTask, is_due
from hostsim.db.models import CronRun, CronTask, LoginFailure
from tests.fake_addons import CronAddon as Demo
from tests.fake_addons import failing, ok, partly_failing

UTC = timezone.utc


def runs(host, name: str) -> list[CronRun]:
    with host.sessions() as s:
        return list(s.scalars(select(CronRun).where(CronRun.task_name == name).order_by(CronRun.id)))


def task_row(host, name: str) -> CronTask:
    with host.sessions() as s:
        return s.get(CronTask, name)


def active_host(make_host, *addons):
    host = make_host(*[(a.name, a) for a in addons])
    for a in addons:
        assert host.lifecycle.activate(a.name).status == "success"
    return host


def test_is_due_rules() -> None:
    tz = UTC
    now = datetime(2026, 8, 1, 0, 5, tzinfo=UTC)
    assert is_due(None, 1440, now, tz)
    assert not is_due(datetime(2026, 8, 1, 0, 1, tzinfo=UTC), 1440, now, tz)
    # daily: due as soon as the host date changed, even a few minutes later
    assert is_due(datetime(2026, 7, 31, 23, 59, tzinfo=UTC), 1440, now, tz)
    assert not is_due(now - timedelta(days=6), 7 * 1440, now, tz)
    assert is_due(now - timedelta(days=7), 7 * 1440, now, tz)
    assert not is_due(now - timedelta(minutes=4), 5, now, tz)
    assert is_due(now - timedelta(minutes=5), 5, now, tz)
    # the clock moved back before the last run: due again
    assert is_due(now + timedelta(days=3), 1440, now, tz)


def test_never_run_then_not_due_then_due_next_day(make_host) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    clock.set_today(date(2026, 7, 31))
    report = CronRunner(host).run("all")
    assert report.status_of("DemoTask") == "success"
    assert report.status_of("PruneLoginFailures") == "success"
    assert report.exit_code == 0

    again = CronRunner(host).run("all")
    assert again.status_of("DemoTask") == "not-due"
    assert demo.events.count("task:DemoTask:2026-07-31") == 1

    clock.set_today(date(2026, 8, 1))
    third = CronRunner(host).run("all")
    assert third.status_of("DemoTask") == "success"
    assert "task:DemoTask:2026-08-01" in demo.events
    assert [r.as_of for r in runs(host, "DemoTask")] == [date(2026, 7, 31), date(2026, 8, 1)]


def test_minute_frequency(make_host) -> None:
    demo = Demo(tasks={"Often": ok}, frequency=5)
    host = active_host(make_host, demo)
    assert CronRunner(host).run("all").status_of("Often") == "success"
    clock.advance(timedelta(minutes=4))
    assert CronRunner(host).run("all").status_of("Often") == "not-due"
    clock.advance(timedelta(minutes=1, seconds=1))
    assert CronRunner(host).run("all").status_of("Often") == "success"


def test_force_do_and_skip(make_host) -> None:
    demo = Demo(tasks={"TaskA": ok, "TaskB": ok, "TaskC": ok})
    host = active_host(make_host, demo)
    first = CronRunner(host).run("skip", ["TaskB"])
    assert [first.status_of(n) for n in ("TaskA", "TaskB", "TaskC")] == ["success", None, "success"]
    # do runs only those named, due or not
    second = CronRunner(host).run("do", ["TaskC", "TaskA"])
    assert {o.name for o in second.outcomes} == {"TaskA", "TaskC"}
    assert all(o.status == "success" for o in second.outcomes)
    third = CronRunner(host).run("all")
    assert third.status_of("TaskA") == "not-due" and third.status_of("TaskB") == "success"
    forced = CronRunner(host).run("all", force=True)
    assert all(o.status == "success" for o in forced.outcomes)
    with pytest.raises(UnknownTask) as err:
        CronRunner(host).run("do", ["Nope"])
    assert "TaskA" in str(err.value)


def test_order_is_priority_then_name(make_host) -> None:
    order: list[str] = []
    demo = Demo(tasks={"Zeta": lambda ctx: order.append("Zeta"), "Alpha": lambda ctx: order.append("Alpha")})
    host = active_host(make_host, demo)
    # Demo gives priorities in declaration order: Zeta 100, Alpha 101
    CronRunner(host).run("all")
    assert order == ["Zeta", "Alpha"]


def test_disabled_task_never_runs_via_all(make_host, cli) -> None:
    demo = Demo(tasks={"TaskA": ok, "TaskB": ok})
    host = active_host(make_host, demo)
    assert cli(host, "cron", "disable", "TaskA").exit_code == 0
    report = CronRunner(host).run("all", force=True)
    assert report.status_of("TaskA") is None and report.status_of("TaskB") == "success"
    assert CronRunner(host).run("do", ["TaskA"]).status_of("TaskA") == "success"
    assert cli(host, "cron", "enable", "TaskA").exit_code == 0
    assert CronRunner(host).run("all", force=True).status_of("TaskA") == "success"
    assert cli(host, "cron", "disable", "Nope").exit_code == 2


def test_failing_task_does_not_stop_others_and_exits_1(make_host, cli) -> None:
    demo = Demo(tasks={"Breaks": failing, "Partly": partly_failing, "Fine": ok})
    host = active_host(make_host, demo)
    result = cli(host, "cron", "all")
    assert result.exit_code == 1
    assert "Breaks failed: RuntimeError: the API said no" in result.stderr
    assert "Partly failed" in result.stderr
    assert "Traceback" not in result.output
    (broken,) = runs(host, "Breaks")
    assert broken.status == "failed"
    assert broken.error == "RuntimeError: the API said no"
    assert "Traceback" in broken.output and broken.finished_at is not None
    (partly,) = runs(host, "Partly")
    assert partly.status == "failed" and json.loads(partly.counters) == {"failed": 1, "invoices": 4}
    (fine,) = runs(host, "Fine")
    assert fine.status == "success" and json.loads(fine.counters) == {"ok": 1}
    # a failed run still counts as a run: not due again today
    assert task_row(host, "Breaks").last_run_at is not None
    assert cli(host, "cron", "all").exit_code == 0


def test_counters_and_output_stored(make_host, cli) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    result = cli(host, "cron", "do", "--DemoTask", "-vv")
    assert result.exit_code == 0, result.output
    assert "demo task says hello" in result.stdout
    assert "DemoTask: success" in result.stdout and "DemoTask counters: invoices: 3" in result.stdout
    (run,) = runs(host, "DemoTask")
    assert run.status == "success" and json.loads(run.counters) == {"invoices": 3}
    assert "demo task says hello" in run.output
    listing = cli(host, "cron", "list")
    assert listing.exit_code == 0
    line = next(row for row in listing.stdout.splitlines() if row.startswith("DemoTask"))
    assert "success" in line and "invoices=3" in line


def test_quiet_by_default(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    result = cli(host, "cron", "all")
    assert result.exit_code == 0 and result.output == ""


def test_prune_login_failures(host, cli) -> None:
    now = clock.now()
    with host.transaction() as s:
        s.add_all([LoginFailure(key="admin:bob", at=now - timedelta(days=2)),
                   LoginFailure(key="admin:bob", at=now - timedelta(hours=25)),
                   LoginFailure(key="admin:eve", at=now - timedelta(hours=1))])
    result = cli(host, "cron", "do", "--PruneLoginFailures")
    assert result.exit_code == 0, result.output
    with host.sessions() as s:
        assert list(s.scalars(select(LoginFailure.key))) == ["admin:eve"]
    (run,) = runs(host, "PruneLoginFailures")
    assert json.loads(run.counters) == {"deleted": 2, "sessions": 0}


def test_hooks_order_and_daily_once_per_day(make_host, cli) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    assert cli(host, "cron", "all", "--today", "2026-07-31").exit_code == 0
    assert demo.events == ["pre", "task:DemoTask:2026-07-31", "daily:2026-07-31", "after"]
    demo.events.clear()
    assert cli(host, "cron", "all", "--today", "2026-07-31").exit_code == 0
    assert cli(host, "cron", "do", "--DemoTask", "--today", "2026-07-31").exit_code == 0
    assert demo.events == ["pre", "after", "pre", "task:DemoTask:2026-07-31", "after"]
    demo.events.clear()
    assert cli(host, "cron", "all", "--today", "2026-08-01").exit_code == 0
    assert demo.events == ["pre", "task:DemoTask:2026-08-01", "daily:2026-08-01", "after"]
    # the daily firings are on record
    assert [r.as_of for r in runs(host, "DailyCronJob")] == [date(2026, 7, 31), date(2026, 8, 1)]


def test_deactivated_addon_hooks_and_tasks_never_fire(make_host, cli) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    assert host.lifecycle.deactivate("demo").status == "success"
    result = cli(host, "cron", "all", "-F")
    assert result.exit_code == 0
    assert demo.events == []
    result = cli(host, "cron", "do", "--DemoTask")
    assert result.exit_code == 2 and "no such cron task" in result.stderr


def test_today_option_moves_the_clock(make_host, cli) -> None:
    demo = Demo()
    host = active_host(make_host, demo)
    result = cli(host, "cron", "all", "--today", "2026-08-01", "-v")
    assert result.exit_code == 0
    assert "as of 2026-08-01" in result.stdout
    assert clock.today() == date(2026, 8, 1)
    (run,) = runs(host, "DemoTask")
    assert run.as_of == date(2026, 8, 1)


def test_bad_cron_arguments(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    cases = {
        ("cron", "do", "--Nope"): "--Nope: no such cron task (known: DeliverQueuedMail, DemoTask, PruneLoginFailures, "
                                  "SendInvoiceReminders)",
        ("cron", "do"): "name at least one task",
        ("cron", "do", "DemoTask"): "name tasks as --TaskName",
        ("cron", "skip", "--DemoTask=1"): "name tasks as --TaskName",
        ("cron", "all", "--DemoTask"): "'all' takes no task names",
        ("cron", "all", "--today", "tomorrow"): "--today",
    }
    for args, message in cases.items():
        result = cli(host, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_progress_counts_at_v(make_host, cli) -> None:
    def long_task(ctx) -> None:
        total = 0
        for i in ctx.progress(range(20), label="clients"):
            total += i
        ctx.counters["total"] = total
        assert ctx.heartbeat()

    host = active_host(make_host, Demo(tasks={"Long": long_task}))
    result = cli(host, "cron", "do", "--Long", "-v")
    assert result.exit_code == 0, result.output
    assert "clients: 2/20" in result.stdout and "clients: 20/20" in result.stdout
    quiet = cli(host, "cron", "do", "--Long")
    assert quiet.output == ""


def test_unusable_task_names_are_left_out(make_host, cli) -> None:
    host = active_host(make_host, Demo(tasks={"DailyCronJob": ok, "Bad-Name": ok, "PruneLoginFailures": ok}))
    result = cli(host, "cron", "all")
    assert result.exit_code == 0
    assert "'DailyCronJob' is reserved" in result.stderr
    assert "'Bad-Name' must be letters" in result.stderr
    assert "'PruneLoginFailures' of demo ignored" in result.stderr


def test_task_names_match_case_insensitively(make_host, cli) -> None:
    host = active_host(make_host, Demo())
    result = cli(host, "cron", "do", "--demotask", "-v")
    assert result.exit_code == 0 and "DemoTask: success" in result.stdout


def test_progress_bar_on_a_terminal(make_host, capsys) -> None:
    seen: list[int] = []

    def long_task(ctx) -> None:
        seen.extend(ctx.progress(iter(range(7)), length=7, label="clients"))

    host = active_host(make_host, Demo(tasks={"Long": long_task}))
    report = CronRunner(host, is_tty=True).run("do", ["Long"])
    assert report.status_of("Long") == "success"
    assert seen == list(range(7))
    assert "clients" in capsys.readouterr().out


def test_broken_hook_is_logged_once_and_the_run_goes_on(make_host, cli) -> None:
    class BrokenHook(Demo):
        from hostsim.addon_api import hookimpl

        @hookimpl
        def pre_cron_job(self, host, ctx) -> None:  # type: ignore[override]
            raise ValueError("hook exploded")

    addon = BrokenHook("broken")
    host = active_host(make_host, addon)
    result = cli(host, "cron", "all")
    assert result.exit_code == 0
    # Once, through the logging the hostsim command configured (no second handler of cron's own).
    lines = [line for line in result.stderr.splitlines() if "hook pre_cron_job of broken failed" in line]
    assert len(lines) == 1 and " ERROR " in lines[0], result.stderr
    assert "ValueError: hook exploded" in result.stderr
    assert "task:DemoTask" in " ".join(addon.events)
    assert cli(host, "--log-level", "critical", "cron", "all", "-F").stderr == ""
