"""The documented behaviour of post-pay billing, example by example (what the other billing
tests do not already pin down)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from click.testing import CliRunner
from sqlalchemy import select

from hostsim.cli import main
from hostsim.db.models import CronRun, Invoice
from solusio_addon.db.models import Enrolment, EnrolmentStatus

from .conftest import World

AUG_1 = date(2026, 8, 1)


def postpay(world: World, *args: str) -> None:
    result = CliRunner().invoke(main, ["solusio", "postpay", "set", *args], obj=world.host)
    assert result.exit_code == 0, result.output + result.stderr


def status_of(world: World, client_id: int) -> EnrolmentStatus:
    with world.host.sessions() as s:
        return s.scalars(select(Enrolment.status).where(Enrolment.client_id == client_id)).one()


def test_grace_period_due_date_is_invoice_date_plus_grace_days_exactly(world: World) -> None:
    """"Invoicing Grace Period: the number of days after generation before an invoice is
    overdue." Generated 1 August with 10 days: due 11 August; on the 11th it is not overdue,
    on the 12th it is (locked at once with a lock delay of 0 days)."""
    postpay(world, "--grace-days", "10", "--lock-days", "0", "--suspend-days", "30")
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    world.automation().run(AUG_1)
    with world.host.sessions() as s:
        invoice = s.scalars(select(Invoice)).one()
    assert (invoice.date, invoice.due_date) == (AUG_1, date(2026, 8, 11))
    assert world.automation().run(date(2026, 8, 11)).locked == 0
    assert status_of(world, ann) is EnrolmentStatus.ACTIVE
    assert world.automation().run(date(2026, 8, 12)).locked == 1
    assert status_of(world, ann) is EnrolmentStatus.LOCKED
    assert world.automation().run(date(2026, 9, 9)).suspended == 0  # 29 days after the due date
    assert world.automation().run(date(2026, 9, 10)).suspended == 1  # 30 days after
    assert world.sim.state.get_user(user).status == "suspended"


def test_grace_of_zero_days_is_due_on_the_invoice_date(world: World) -> None:
    postpay(world, "--grace-days", "0")
    world.set_prices(USD="0.0010")
    _, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    world.automation().run(date(2026, 8, 3))
    with world.host.sessions() as s:
        assert s.scalars(select(Invoice.due_date)).one() == date(2026, 8, 3)


def test_one_invoice_itemised_per_virtual_machine(world: World) -> None:
    """"An invoice with an itemized list of resources (aka virtual machines) and the amount due."""
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-02T00:00:00", name="web-1")  # 24 h: 168 tokens
    world.server(user, "2026-07-10T00:00:00", "2026-07-11T12:00:00", name="db-1")   # 36 h: 252 tokens
    world.automation().run(AUG_1)
    with world.host.sessions() as s:
        invoice = s.scalars(select(Invoice)).unique().one()
        items = [(i.description.split(",")[0], i.amount) for i in invoice.items]
        total = invoice.total
    assert sorted(items) == [("Server db-1 (Small plan)", Decimal("0.25")),
                             ("Server web-1 (Small plan)", Decimal("0.17"))]
    assert total == Decimal("0.42")


def test_cron_do_solusio_automation_records_the_run_and_never_bills_twice(world: World) -> None:
    """``php crons/cron.php do --SolusioAutomation -vvv``, as ``hostsim cron do``."""
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")  # 240 h: 1680 tokens
    args = ["cron", "do", "--SolusioAutomation", "--today", "2026-08-01", "-vvv"]
    first = CliRunner().invoke(main, args, obj=world.host)
    assert first.exit_code == 0, first.output + first.stderr
    assert f"client #{ann} 2026-07: invoiced" in first.output
    second = CliRunner().invoke(main, args, obj=world.host)
    assert second.exit_code == 0, second.output + second.stderr
    with world.host.sessions() as s:
        runs = [json.loads(r.counters) for r in s.scalars(
            select(CronRun).where(CronRun.task_name == "SolusioAutomation").order_by(CronRun.id))]
        invoices = list(s.scalars(select(Invoice.total)))
    assert [(r["invoiced"], r["amounts"]) for r in runs] == [(1, {"USD": "1.68"}), (0, {})]
    assert invoices == [Decimal("1.68")]
