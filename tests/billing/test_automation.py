"""SolusioAutomation against the simulator over real HTTP, on the test database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from hostsim.db.models import EmailLog, Invoice, InvoiceItem, InvoiceStatus
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus, PeriodOutcome, UsageLine

AUG_1 = date(2026, 8, 1)


def invoices(host):
    with host.sessions() as s:
        return {i.client_id: (i.total, i.currency.code, i.date, i.due_date, [it.description for it in i.items])
                for i in s.scalars(select(Invoice).order_by(Invoice.id)).unique()}


def count(host, model):
    with host.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_on_the_first_of_august_july_is_invoiced_once(world):
    world.set_prices(USD="0.0010", EUR="0.0009")
    ann, ann_user = world.enrol("ann@example.com")
    bob, bob_user = world.enrol("bob@example.com", currency="EUR")
    cat, _ = world.enrol("cat@example.com")
    world.server(ann_user, "2026-07-02T20:00:00", "2026-08-01T04:00:00")  # 700 h in July
    world.server(bob_user, "2026-06-20T00:00:00", name="db-1")           # all of July: capped
    report = world.automation().run(AUG_1)

    found = invoices(world.host)
    assert found[ann][:4] == (Decimal("4.90"), "USD", AUG_1, date(2026, 8, 15))
    assert "700 h, 4900 tokens" in found[ann][4][0]
    assert found[bob][:2] == (Decimal("4.50"), "EUR")  # 5000 tokens x 0.0009
    assert "monthly cap of 5000 tokens applied" in found[bob][4][0]
    assert cat not in found
    assert (report.invoiced, report.no_usage, report.failed) == (2, 1, 0)
    assert report.amounts == {"USD": Decimal("4.90"), "EUR": Decimal("4.50")}
    with world.host.sessions() as s:
        outcomes = {p.client_id: p.outcome for p in s.scalars(select(BilledPeriod))}
        line = s.scalars(select(UsageLine).where(UsageLine.server_name == "web-1")).first()
    assert outcomes == {ann: PeriodOutcome.INVOICED, bob: PeriodOutcome.INVOICED, cat: PeriodOutcome.NO_USAGE}
    assert (line.tokens, line.unit_price, line.hours) == (4900, Decimal("0.0010"), 700)
    assert count(world.host, EmailLog) == 2

    world.sim.clear_requests()
    again = world.automation().run(AUG_1)
    assert (again.invoiced, again.no_usage, again.already_billed) == (0, 0, 0)
    assert count(world.host, Invoice) == 2
    assert not [r for r in world.sim.requests if "/usage" in r.path]  # not asked again, even for "no usage"


def test_a_currency_without_price_is_not_invoiced_until_priced(world):
    world.set_prices(USD="0.0010")
    _, user = world.enrol("eve@example.com", currency="EUR")
    world.server(user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    report = world.automation().run(AUG_1)
    assert report.failed == 1 and report.skipped == {"no token price for EUR": 1}
    assert "no token price for EUR" in report.failures[0]
    assert count(world.host, Invoice) == 0
    world.set_prices(EUR="0.0020")
    assert world.automation().run(date(2026, 8, 2)).invoiced == 1
    total, code, day, *_ = next(iter(invoices(world.host).values()))
    assert (total, code, day) == (Decimal("0.34"), "EUR", date(2026, 8, 2))  # 24 h x 7 = 168 tokens


def test_solusio_failure_for_one_client_does_not_stop_the_others(world):
    world.set_prices(USD="0.0010")
    ann, ann_user = world.enrol("ann@example.com")
    bob, bob_user = world.enrol("bob@example.com")
    world.server(ann_user, "2026-07-01T00:00:00", "2026-07-01T10:00:00")
    world.server(bob_user, "2026-07-01T00:00:00", "2026-07-01T10:00:00")
    world.sim.faults.fail_next(10, method="GET", path_prefix=f"users/{bob_user}/usage", status=500)
    report = world.automation().run(AUG_1)
    assert report.invoiced == 1 and report.failed == 1
    assert set(invoices(world.host)) == {ann}
    world.sim.faults.reset()  # SolusIO recovered: the next run bills the client it missed
    report = world.automation().run(AUG_1)
    assert report.invoiced == 1 and set(invoices(world.host)) == {ann, bob}


def test_missed_months_are_caught_up_oldest_first(world):
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com", enrolled="2026-05-10T00:00:00")
    world.server(user, "2026-06-01T00:00:00", "2026-09-01T00:00:00")
    world.sim.state.clock.set(world.sim.state.clock.now().replace(month=10, day=3))
    report = world.automation().run(date(2026, 10, 3))  # look-back 3: July, August, September
    assert report.invoiced == 1 + 1 and report.no_usage == 1  # September: stopped on the 1st at 00:00
    with world.host.sessions() as s:
        periods = [p.period_start for p in s.scalars(select(BilledPeriod).order_by(BilledPeriod.id))]
    assert periods == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]


def test_dry_run_writes_nothing(world):
    world.set_prices(USD="0.0010")
    _, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-01T10:00:00")
    planned = world.automation().invoice_due(AUG_1, dry_run=True)
    assert [(len(lines), code) for _job, lines, code in planned] == [(1, "USD")]
    assert count(world.host, Invoice) == 0 and count(world.host, BilledPeriod) == 0


def test_lock_suspend_and_reactivation_by_payment(world):
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")
    world.automation().run(AUG_1)  # due 15 August (grace 14); lock 7 days, suspend 14 days after
    invoice_id = next(iter(invoices_ids(world.host)))

    assert world.automation().run(date(2026, 8, 21)).locked == 0
    report = world.automation().run(date(2026, 8, 22))
    assert report.locked == 1 and world.sim.state.get_user(user).status == "locked"
    assert world.automation().run(date(2026, 8, 28)).suspended == 0
    report = world.automation().run(date(2026, 8, 29))
    assert report.suspended == 1 and world.sim.state.get_user(user).status == "suspended"
    with world.host.sessions() as s:
        enrolment = s.scalars(select(Enrolment)).one()
        assert (enrolment.status, enrolment.status_invoice_id) == (EnrolmentStatus.SUSPENDED, invoice_id)
        subjects = [m.subject for m in s.scalars(select(EmailLog).order_by(EmailLog.id))]
    assert subjects[-2:] == ["Your cloud account is locked", "Your cloud servers are suspended"]

    world.host.invoices.add_payment(invoice_id, Decimal("0.49"))  # of 1.68: 240 h x 7 = 1680 tokens
    assert world.sim.state.get_user(user).status == "suspended"  # partly paid: still owed
    world.host.invoices.add_payment(invoice_id, Decimal("1.19"))
    assert world.sim.state.get_user(user).status == "active"
    with world.host.sessions() as s:
        assert s.scalars(select(Enrolment)).one().status is EnrolmentStatus.ACTIVE


def test_cancelled_invoices_do_not_count_and_exempt_clients_are_left_alone(world):
    world.set_prices(USD="0.0010")
    ann, ann_user = world.enrol("ann@example.com")
    bob, bob_user = world.enrol("bob@example.com")
    world.server(ann_user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    world.server(bob_user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    world.automation().run(AUG_1)
    with world.host.sessions() as s:
        anns = s.scalars(select(Invoice.id).where(Invoice.client_id == ann)).one()
    world.host.invoices.set_status(anns, InvoiceStatus.CANCELLED)
    with world.host.transaction() as s:
        s.scalars(select(Enrolment).where(Enrolment.client_id == bob)).one().exempt_from_overdue = True
    report = world.automation().run(date(2026, 9, 30))
    assert (report.locked, report.suspended) == (0, 0)
    assert {world.sim.state.get_user(u).status for u in (ann_user, bob_user)} == {"active"}


def test_daily_pass_reconciles_a_reactivation_missed_at_payment_time(world):
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    world.automation().run(AUG_1)
    world.automation().run(date(2026, 8, 22))
    assert world.sim.state.get_user(user).status == "locked"
    world.sim.faults.fail_next(50, method="PUT", path_prefix=f"users/{user}", status=503)
    world.host.invoices.add_payment(invoices_ids(world.host)[0], Decimal("0.17"))  # 168 tokens
    assert world.sim.state.get_user(user).status == "locked"  # SolusIO was down at payment time
    world.sim.faults.reset()
    report = world.automation().run(date(2026, 8, 23))
    assert report.reactivated == 1 and world.sim.state.get_user(user).status == "active"


def invoices_ids(host) -> list[int]:
    with host.sessions() as s:
        return list(s.scalars(select(Invoice.id).order_by(Invoice.id)))


def test_invoice_lines_keep_what_explains_them(world):
    world.set_prices(USD="0.0013")
    _, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-01T00:05:00", name="tiny")  # 5 minutes: 1 h
    world.automation().run(AUG_1)
    with world.host.sessions() as s:
        item = s.scalars(select(InvoiceItem)).one()
        line = s.scalars(select(UsageLine)).one()
    assert item.amount == Decimal("0.01")  # 7 tokens x 0.0013 = 0.0091 -> 0.01
    assert (line.hours, line.tokens, line.unit_price, line.invoice_item_id) == (1, 7, Decimal("0.0013"), item.id)
