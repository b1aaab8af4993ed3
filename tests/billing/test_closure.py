"""Closing a client mid-month: SolusIO user suspended at once, the partial month invoiced at the
next month-end exactly once, nothing billed for months wholly closed; reopening restores the
status the overdue rules give. Real HTTP to the simulator, on the test database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from hostsim.clock import clock
from hostsim.db.models import ActivityLog, Invoice
from hostsim.services.clients import close_client, reopen_client
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.billing.reconcile import Reconcile
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient
from tests.billing.conftest import at


def moment(world, text: str) -> None:
    """Both clocks at ``text`` (UTC): the host's and the simulator's."""
    clock.set_now(at(text))
    world.sim.state.clock.set(at(text))


def enrolment(world, client_id: int) -> Enrolment:
    with world.host.sessions() as s:
        row = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).one()
        s.expunge(row)
        return row


def billed(world, client_id: int) -> list[str]:
    with world.host.sessions() as s:
        return [p.isoformat()[:7] for p in s.scalars(select(BilledPeriod.period_start)
                                                     .where(BilledPeriod.client_id == client_id)
                                                     .order_by(BilledPeriod.period_start))]


def invoices_of(world, client_id: int) -> list[tuple[Decimal, str]]:
    with world.host.sessions() as s:
        return [(i.total, i.notes) for i in s.scalars(select(Invoice).where(Invoice.client_id == client_id)
                                                      .order_by(Invoice.id))]


def test_closure_mid_month_suspends_at_once_and_bills_the_partial_month_exactly_once(world):
    world.set_prices(USD="0.0010")
    ann, ann_user = world.enrol("ann@example.com")
    bob, bob_user = world.enrol("bob@example.com")
    server = world.server(ann_user, "2026-07-01T00:00:00")  # runs until the closure stops it
    world.server(bob_user, "2026-07-01T00:00:00", name="db-1")
    moment(world, "2026-07-16T12:30:00")
    assert close_client(world.host, ann, actor="boss")

    assert world.sim.state.get_user(ann_user).status == "suspended"
    assert world.sim.state.get_server(server).status == "stopped"
    row = enrolment(world, ann)
    assert row.status is EnrolmentStatus.CLOSED and f"{row.closed_at:%Y-%m-%d %H:%M}" == "2026-07-16 12:30"
    with world.host.sessions() as s:
        logged = [e.description for e in s.scalars(select(ActivityLog).where(ActivityLog.client_id == ann))]
    assert f"SolusIO user #{ann_user} suspended: client #{ann} closed" in logged

    moment(world, "2026-08-01T00:30:00")
    world.automation().run(date(2026, 8, 1))
    world.automation().run(date(2026, 8, 1))  # the same day again
    # 1 July 00:00 to 16 July 12:30: 372 full hours and one started, 373 h x 7 tokens
    assert invoices_of(world, ann) == [(Decimal("2.61"), "SolusIO usage 2026-07")]
    assert enrolment(world, ann).status is EnrolmentStatus.CLOSED  # the overdue pass leaves it closed

    for day in (date(2026, 9, 1), date(2026, 10, 1), date(2026, 10, 2)):
        moment(world, f"{day.isoformat()}T00:30:00")
        world.automation().run(day)
    assert billed(world, ann) == ["2026-07"]  # never again after the closure month
    assert len(invoices_of(world, ann)) == 1
    assert billed(world, bob) == ["2026-07", "2026-08", "2026-09"]  # everyone else as before


def test_reopening_gives_back_the_status_the_overdue_rules_say_and_skips_the_closed_months(world):
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")  # 240 h: 1.68
    moment(world, "2026-07-20T10:00:00")
    close_client(world.host, ann)
    moment(world, "2026-08-01T00:30:00")
    world.automation().run(date(2026, 8, 1))  # July invoiced, due 15 August
    moment(world, "2026-09-01T00:30:00")
    world.automation().run(date(2026, 9, 1))  # August: closed all month, not billed

    moment(world, "2026-09-10T08:00:00")  # the July invoice is 26 days overdue: suspended by the rules
    assert reopen_client(world.host, ann)
    row = enrolment(world, ann)
    assert row.status is EnrolmentStatus.SUSPENDED and f"{row.reopened_at:%Y-%m-%d %H:%M}" == "2026-09-10 08:00"
    assert world.sim.state.get_user(user).status == "suspended"
    with world.host.sessions() as s:
        invoice_id = s.scalars(select(Invoice.id).where(Invoice.client_id == ann)).one()
    world.host.invoices.add_payment(invoice_id, Decimal("1.68"))
    assert world.sim.state.get_user(user).status == "active"
    assert enrolment(world, ann).status is EnrolmentStatus.ACTIVE

    world.server(user, "2026-09-10T09:00:00", "2026-09-10T19:00:00", name="web-2")  # 10 h in September
    moment(world, "2026-10-01T00:30:00")
    world.automation().run(date(2026, 10, 1))  # looks back three months: August stays unbilled
    assert billed(world, ann) == ["2026-07", "2026-09"]
    assert [total for total, _ in invoices_of(world, ann)] == [Decimal("1.68"), Decimal("0.07")]


def test_reopening_with_nothing_owed_is_active_again(world):
    ann, user = world.enrol("ann@example.com")
    close_client(world.host, ann)
    assert world.sim.state.get_user(user).status == "suspended"
    reopen_client(world.host, ann)
    assert world.sim.state.get_user(user).status == "active"
    assert enrolment(world, ann).status is EnrolmentStatus.ACTIVE


def test_solusio_down_at_closure_still_closes_and_the_daily_reconcile_suspends(world):
    ann, user = world.enrol("ann@example.com")
    world.sim.faults.configure(error_rate=1.0, error_statuses=[503])
    try:
        assert close_client(world.host, ann)
    finally:
        world.sim.faults.reset()
    assert enrolment(world, ann).status is EnrolmentStatus.CLOSED
    assert world.sim.state.get_user(user).status == "active"
    with world.host.sessions() as s:
        logged = [e.description for e in s.scalars(select(ActivityLog).where(ActivityLog.client_id == ann))]
    assert any(f"SolusIO user #{user} could not be set suspended" in d and "daily reconcile" in d for d in logged)

    solusio = SolusioClient(world.sim.url, world.sim.admin_token, retries=0)
    result = Reconcile(world.api, solusio, policy_from_settings(world.api)).run(date(2026, 8, 1), fix=True)
    assert [(d.kind.value, d.client_id) for d in result.repaired] == [("status", ann)]
    assert world.sim.state.get_user(user).status == "suspended"
    assert enrolment(world, ann).status is EnrolmentStatus.CLOSED
    with world.host.sessions() as s:
        assert s.scalar(select(func.count()).select_from(BilledPeriod)) == 0
