"""Automation settings of General Settings (as WHMCS's): when the invoice payment reminder and the
three overdue notices go out. Days count from the due date; 0 turns a stage off."""

from __future__ import annotations

from dataclasses import dataclass

#: Setting key -> default. Off until an admin sets them (an instance never mails unasked).
AUTOMATION_DEFAULTS: dict[str, str] = {
    "invoice_reminder_days": "0",
    "overdue_first_days": "0",
    "overdue_second_days": "0",
    "overdue_third_days": "0",
}
AUTOMATION_LABELS: dict[str, str] = {
    "invoice_reminder_days": "Invoice payment reminder (days before the due date)",
    "overdue_first_days": "First overdue notice (days after the due date)",
    "overdue_second_days": "Second overdue notice (days after the due date)",
    "overdue_third_days": "Third overdue notice (days after the due date)",
}
MAX_DAYS = 365
OVERDUE_KEYS = ("overdue_first_days", "overdue_second_days", "overdue_third_days")


@dataclass(frozen=True)
class Stage:
    """One reminder stage: its tracking name, its setting and which side of the due date."""

    name: str
    key: str
    before_due: bool
    subject: str
    template: str


STAGES = (
    Stage("reminder", "invoice_reminder_days", True, "Invoice Payment Reminder #{id}", "invoice_payment_reminder"),
    Stage("overdue1", "overdue_first_days", False, "First Invoice Overdue Notice #{id}", "invoice_overdue_first"),
    Stage("overdue2", "overdue_second_days", False, "Second Invoice Overdue Notice #{id}", "invoice_overdue_second"),
    Stage("overdue3", "overdue_third_days", False, "Third Invoice Overdue Notice #{id}", "invoice_overdue_third"),
)


def check_days(key: str, value: str) -> str:
    """The value as stored (``"07"`` -> ``"7"``); ValueError names the setting."""
    if not value.isdigit() or not value.isascii() or int(value) > MAX_DAYS:
        raise ValueError(f"{key}: must be a whole number of days from 0 (off) to {MAX_DAYS}")
    return str(int(value))


def check_order(values: dict[str, str]) -> None:
    """The overdue notices that are on come in order: first before second before third."""
    on = [(key, int(values[key])) for key in OVERDUE_KEYS if int(values[key]) > 0]
    for (earlier, a), (later, b) in zip(on, on[1:]):
        if b <= a:
            name = {"overdue_first_days": "the first", "overdue_second_days": "the second"}[earlier]
            raise ValueError(f"{later}: must be more days than {name} overdue notice ({a})")
