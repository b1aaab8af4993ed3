"""Invoice payment reminders and overdue notices: sent by the daily cron task through a real
SMTP server, each stage once per invoice however often and however late cron runs."""

from __future__ import annotations

import socket
from datetime import date
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import func, select

from hostsim.db.models import EmailLog, InvoiceReminder
from hostsim.services.clients import create_client
from hostsim.services.invoices import NewItem

DUE = date(2026, 8, 20)


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def inbox(host):
    box = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none",
                            "company_name": "Acme Cloud"})
    try:
        yield box
    finally:
        controller.stop()


def client(host, email: str) -> int:
    with host.transaction() as s:
        return create_client(s, first_name="Ann", last_name="Lee", email=email, password="Corr3ct-horse!",
                             now=host.clock.now()).id


def invoice(host, client_id: int, amount: str = "12.00", due: date = DUE) -> int:
    return host.invoices.create_invoice(client_id=client_id, items=[NewItem("Hosting", Decimal(amount))],
                                        invoice_date=date(2026, 8, 1), due_date=due)


def subjects(box: Inbox) -> list[str]:
    return [m["Subject"] for m in box.messages]


def run(host, cli, day: str, *names: str) -> None:
    args = ["cron", "do", *(f"--{n}" for n in names)] if names else ["cron", "all"]
    result = cli(host, *args, "--today", day)
    assert result.exit_code == 0, result.output


def reminder_rows(host) -> list[tuple[int, str, date]]:
    with host.sessions() as s:
        rows = s.execute(select(InvoiceReminder.invoice_id, InvoiceReminder.stage, InvoiceReminder.as_of)
                         .order_by(InvoiceReminder.id)).all()
        return [(i, stage, as_of) for i, stage, as_of in rows]


SCHEDULE = {"invoice_reminder_days": "7", "overdue_first_days": "1", "overdue_second_days": "7",
            "overdue_third_days": "14"}


def test_each_stage_goes_out_once_on_its_day(host, cli, inbox):
    host.settings.set_many(SCHEDULE)
    ann = invoice(host, client(host, "ann@example.com"))
    first_count = len(inbox.messages)
    assert first_count == 0  # create_invoice without send_email mails nothing
    days = [("2026-08-12", []), ("2026-08-13", [f"Invoice Payment Reminder #{ann}"]),
            ("2026-08-14", []), ("2026-08-20", []), ("2026-08-21", [f"First Invoice Overdue Notice #{ann}"]),
            ("2026-08-22", []), ("2026-08-27", [f"Second Invoice Overdue Notice #{ann}"]),
            ("2026-09-03", [f"Third Invoice Overdue Notice #{ann}"]), ("2026-09-04", []), ("2026-10-01", [])]
    expected: list[str] = []
    for day, new in days:
        run(host, cli, day)
        run(host, cli, day, "SendInvoiceReminders")  # a forced re-run the same day sends nothing more
        expected += new
        assert subjects(inbox) == expected, day
    assert [stage for _, stage, _ in reminder_rows(host)] == ["reminder", "overdue1", "overdue2", "overdue3"]
    body = inbox.messages[1].get_payload()
    assert f"/clientarea/invoices/{ann}" in body and "due on Aug 20, 2026 (1 day ago)" in body and "$12.00" in body
    assert "Acme Cloud" in inbox.messages[1]["From"]
    with host.sessions() as s:
        assert s.scalar(select(func.count()).select_from(EmailLog).where(EmailLog.status == "sent")) == 4


def test_a_catch_up_sends_only_the_latest_notice_and_never_an_earlier_one_later(host, cli, inbox):
    host.settings.set_many(SCHEDULE)
    ann = invoice(host, client(host, "ann@example.com"))
    run(host, cli, "2026-08-28")  # cron was down from before the reminder until after the second notice
    assert subjects(inbox) == [f"Second Invoice Overdue Notice #{ann}"]
    for day in ("2026-08-28", "2026-08-29", "2026-09-02"):
        run(host, cli, day, "SendInvoiceReminders")
    assert len(inbox.messages) == 1  # neither the reminder nor the first notice comes late
    run(host, cli, "2026-09-10", "SendInvoiceReminders")
    assert subjects(inbox)[1:] == [f"Third Invoice Overdue Notice #{ann}"]
    assert [stage for _, stage, _ in reminder_rows(host)] == ["overdue2", "overdue3"]


def test_paid_and_cancelled_invoices_get_nothing_partly_paid_ones_do_and_zero_turns_a_stage_off(host, cli, inbox):
    host.settings.set_many({**SCHEDULE, "invoice_reminder_days": "0", "overdue_second_days": "0"})
    ann = client(host, "ann@example.com")
    unpaid = invoice(host, ann)
    paid = invoice(host, ann, "5.00")
    host.invoices.add_payment(paid, Decimal("5.00"))
    partly = invoice(host, ann, "9.00")
    host.invoices.add_payment(partly, Decimal("4.00"))
    cancelled = invoice(host, ann, "3.00")
    from hostsim.db.models import InvoiceStatus
    host.invoices.set_status(cancelled, InvoiceStatus.CANCELLED)
    inbox.messages.clear()  # the receipt of the paid one
    run(host, cli, "2026-08-15")  # the reminder is off
    assert inbox.messages == []
    run(host, cli, "2026-08-28")  # first notice due; the second is off
    assert sorted(subjects(inbox)) == sorted([f"First Invoice Overdue Notice #{unpaid}",
                                              f"First Invoice Overdue Notice #{partly}"])
    run(host, cli, "2026-09-04")
    assert sorted(subjects(inbox)[2:]) == sorted([f"Third Invoice Overdue Notice #{unpaid}",
                                                  f"Third Invoice Overdue Notice #{partly}"])
    assert {i for i, _, _ in reminder_rows(host)} == {unpaid, partly}


def test_a_stage_recorded_by_another_process_is_not_sent_again(host, cli, inbox):
    """The UNIQUE row is the guarantee: a process that finds the stage recorded when it inserts
    rolls its email back with it (no second message in the outbox)."""
    from hostsim.services.automation_settings import STAGES
    from hostsim.services.reminders import InvoiceReminders

    host.settings.set_many(SCHEDULE)
    ann = invoice(host, client(host, "ann@example.com"))
    reminders = InvoiceReminders(host)
    stage = STAGES[1]
    assert reminders.send_one(ann, stage, date(2026, 8, 21)) is True
    assert reminders.send_one(ann, stage, date(2026, 8, 21)) is False
    with host.sessions() as s:
        assert s.scalar(select(func.count()).select_from(EmailLog)) == 1
    assert len(inbox.messages) == 1


def test_settings_are_checked(host, cli):
    for values, message in (({"invoice_reminder_days": "-1"}, "invoice_reminder_days: must be a whole number"),
                            ({"overdue_first_days": "366"}, "overdue_first_days: must be a whole number"),
                            ({"overdue_third_days": "1.5"}, "overdue_third_days: must be a whole number"),
                            ({"overdue_first_days": "7", "overdue_second_days": "7"},
                             "overdue_second_days: must be more days than the first overdue notice")):
        result = cli(host, "settings", "set", *(f"{k}={v}" for k, v in values.items()))
        assert result.exit_code != 0 and message in result.output, result.output
    assert host.settings.get("overdue_first_days") == "0"
    result = cli(host, "settings", "set", "overdue_first_days=3", "overdue_third_days=10", "invoice_reminder_days=05")
    assert result.exit_code == 0, result.output
    assert (host.settings.get("invoice_reminder_days"), host.settings.get("overdue_third_days")) == ("5", "10")
    assert "overdue_third_days" in cli(host, "settings", "show").output
