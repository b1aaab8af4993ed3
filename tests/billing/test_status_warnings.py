"""Warnings before the lock and the suspension: the daily SolusioStatusWarnings task mails them
through a real SMTP server, once each, naming the date and the invoice, with a link to pay; the
lock and suspend rules themselves are unchanged."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import func, select

from hostsim.addon_api import Invoice
from hostsim.db.models import EmailLog
from solusio_addon.admin.warning_settings import WarningSettings, save_warnings
from solusio_addon.billing.status import set_exempt
from solusio_addon.db.models import StatusWarning


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def inbox(world) -> Iterator[Inbox]:
    box = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    world.host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none"})
    try:
        yield box
    finally:
        controller.stop()


def cron(world, cli, day: str, *tasks: str) -> None:
    args = ["cron", "do", *(f"--{t}" for t in tasks)] if tasks else ["cron", "all"]
    result = cli(world.host, *args, "--today", day)
    assert result.exit_code == 0, result.output


def warnings_in(box: Inbox) -> list[str]:
    return [m["Subject"] for m in box.messages if " will be " in m["Subject"]]


def billed_client(world, email: str = "ann@example.com") -> tuple[int, int]:
    world.set_prices(USD="0.0010")
    client_id, user = world.enrol(email)
    world.server(user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")
    return client_id, user


def test_lock_and_suspend_warnings_once_each_before_their_day(world, cli, inbox):
    ann, user = billed_client(world)
    cron(world, cli, "2026-08-01")  # July invoiced: due 15 August, locked 22nd, suspended 29th (the seed's rules)
    with world.host.sessions() as s:
        invoice_id = s.scalars(select(Invoice.id)).one()
    days = {"2026-08-18": [], "2026-08-19": ["Your cloud account will be locked on Aug 22, 2026"],
            "2026-08-20": [], "2026-08-21": [], "2026-08-22": [],
            "2026-08-25": [], "2026-08-26": ["Your cloud servers will be suspended on Aug 29, 2026"],
            "2026-08-28": [], "2026-08-29": [], "2026-09-05": []}
    expected: list[str] = []
    for day, new in days.items():
        cron(world, cli, day)
        cron(world, cli, day, "SolusioStatusWarnings")  # a forced re-run sends nothing more
        expected += new
        assert warnings_in(inbox) == expected, day
    assert world.sim.state.get_user(user).status == "suspended"  # the rules are unchanged
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects.index("Your cloud account will be locked on Aug 22, 2026") < subjects.index(
        "Your cloud account is locked") < subjects.index("Your cloud servers will be suspended on Aug 29, 2026") < \
        subjects.index("Your cloud servers are suspended")
    lock = next(m for m in inbox.messages if m["Subject"].endswith("locked on Aug 22, 2026")).get_payload()
    assert f"Invoice #{invoice_id}" in lock and "before Aug 22, 2026" in lock and "due Aug 15, 2026" in lock
    assert f"/clientarea/invoices/{invoice_id}" in lock and "$" in lock
    with world.host.sessions() as s:
        rows = s.execute(select(StatusWarning.invoice_id, StatusWarning.stage, StatusWarning.effective_on)
                         .order_by(StatusWarning.id)).all()
        assert [tuple(r) for r in rows] == [(invoice_id, "lock", date(2026, 8, 22)),
                                            (invoice_id, "suspend", date(2026, 8, 29))]
        sent = s.scalar(select(func.count()).select_from(EmailLog).where(EmailLog.subject.like("% will be %")))
    assert sent == 2
    assert ann


def test_paid_and_exempt_clients_get_no_warning(world, cli, inbox):
    ann, _ = billed_client(world)
    cy, cy_user = world.enrol("cy@example.com")
    world.server(cy_user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")
    dan, dan_user = world.enrol("dan@example.com")
    world.server(dan_user, "2026-07-01T00:00:00", "2026-07-11T00:00:00")
    cron(world, cli, "2026-08-01")
    with world.host.sessions() as s:
        by_client = {c: (i, total) for i, c, total in s.execute(select(Invoice.id, Invoice.client_id, Invoice.total))}
    world.host.invoices.add_payment(by_client[ann][0], by_client[ann][1].quantize(Decimal("0.01")))
    set_exempt(world.api, cy, True, actor="test")
    cron(world, cli, "2026-08-19")
    assert warnings_in(inbox) == ["Your cloud account will be locked on Aug 22, 2026"]  # dan's only
    assert [m["To"] for m in inbox.messages if " will be " in m["Subject"]] == ["dan@example.com"]
    with world.host.sessions() as s:
        assert [c for (c,) in s.execute(select(StatusWarning.client_id))] == [dan]


def test_zero_turns_a_warning_off_and_a_run_after_the_day_sends_none(world, cli, inbox):
    billed_client(world)
    save_warnings(world.api, WarningSettings(lock_warning_days=0, suspend_warning_days=5))
    cron(world, cli, "2026-08-01")
    for day in ("2026-08-17", "2026-08-19", "2026-08-21"):
        cron(world, cli, day)
    assert warnings_in(inbox) == []  # the lock warning is off
    cron(world, cli, "2026-08-30")  # cron was down the whole suspension warning window
    assert warnings_in(inbox) == []
    with world.host.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StatusWarning)) == 0


def test_partly_paid_still_warns_and_amounts_are_exact(world, cli, inbox):
    billed_client(world)
    cron(world, cli, "2026-08-01")
    with world.host.sessions() as s:
        invoice_id = s.scalars(select(Invoice.id)).one()
    world.host.invoices.add_payment(invoice_id, Decimal("0.01"))
    cron(world, cli, "2026-08-19")
    assert warnings_in(inbox) == ["Your cloud account will be locked on Aug 22, 2026"]
