"""The Post-Pay tab's warning emails: how many days before an overdue invoice would lock (or
suspend) the client's SolusIO user the client is told, 0 for never. Stored beside the other
post-pay settings; read, checked and saved here (settings.py holds the rest)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from hostsim.addon_api import Host

MODULE = "solusio"
LOCK_WARNING_DAYS = "postpay_lock_warning_days"
SUSPEND_WARNING_DAYS = "postpay_suspend_warning_days"
DEFAULT_LOCK_WARNING_DAYS = 3
DEFAULT_SUSPEND_WARNING_DAYS = 3
MAX_WARNING_DAYS = 365

#: Friendly names of the form fields (the field name is the key).
WARNING_LABELS: dict[str, str] = {
    "lock_warning_days": "Warn Before Lock",
    "suspend_warning_days": "Warn Before Suspension",
}
WARNING_HELP: dict[str, str] = {
    "lock_warning_days": "Days before the lock that the client is emailed the date, the invoice and a link to pay "
                         "(0: no warning).",
    "suspend_warning_days": "Days before the suspension that the client is emailed the date, the invoice and a link "
                            "to pay (0: no warning).",
}
_WHOLE = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class WarningSettings:
    lock_warning_days: int = DEFAULT_LOCK_WARNING_DAYS
    suspend_warning_days: int = DEFAULT_SUSPEND_WARNING_DAYS

    def as_form(self) -> dict[str, str]:
        return {"lock_warning_days": str(self.lock_warning_days),
                "suspend_warning_days": str(self.suspend_warning_days)}


def _stored(value: str | None, default: int) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return number if 0 <= number <= MAX_WARNING_DAYS else default


def load_warnings(host: "Host") -> WarningSettings:
    v = host.addon_settings.get_all(MODULE)
    return WarningSettings(lock_warning_days=_stored(v.get(LOCK_WARNING_DAYS), DEFAULT_LOCK_WARNING_DAYS),
                           suspend_warning_days=_stored(v.get(SUSPEND_WARNING_DAYS), DEFAULT_SUSPEND_WARNING_DAYS))


def save_warnings(host: "Host", settings: WarningSettings, *, actor: str = "System") -> list[str]:
    return host.addon_settings.set_private(MODULE, {
        LOCK_WARNING_DAYS: str(settings.lock_warning_days),
        SUSPEND_WARNING_DAYS: str(settings.suspend_warning_days),
    }, actor=actor)


def validate_warnings(submitted: Mapping[str, str], *, current: WarningSettings
                      ) -> tuple[WarningSettings | None, dict[str, str]]:
    """Check the warning fields; a field absent from ``submitted`` keeps its current value.
    Returns the new settings, or None and ``{field: message}``."""
    values = current.as_form()
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for key in values:
        raw = submitted.get(key, values[key])
        text = (raw if isinstance(raw, str) else "").strip()
        label = WARNING_LABELS[key]
        if not text:
            errors[key] = f"{label}: a value is required (0 turns the warning off)"
        elif not _WHOLE.fullmatch(text) or not text.isascii():
            errors[key] = f"{label}: enter a whole number of days (0, 1, 2...)"
        elif int(text) > MAX_WARNING_DAYS:
            errors[key] = f"{label}: enter a number from 0 to {MAX_WARNING_DAYS}"
        else:
            numbers[key] = int(text)
    if errors:
        return None, errors
    return WarningSettings(**numbers), {}
