"""What a SolusioAutomation run is given and what it reports: ``Policy`` (the post-pay settings
it runs with) and ``Report`` (its counters, stored with the cron run and shown on the admin page,
and its summary in words)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from hostsim.addon_api import format_money

FAILURE_DETAIL_LIMIT = 50  # failures kept with their reason in the stored counters

Say = Callable[[int, str], None]


@dataclass(frozen=True)
class Policy:
    grace_days: int
    lock_days: int
    suspend_days: int
    lookback_months: int
    limit_group_id: int | None = None


@dataclass
class Report:
    provisioned: int = 0
    pending: int = 0
    invoiced: int = 0
    no_usage: int = 0
    already_billed: int = 0
    emailed: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)
    locked: int = 0
    suspended: int = 0
    reactivated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    #: The months (``YYYY-MM``) this run looked at for invoicing, and those it had clients to bill
    #: for: the summary's wording ("nothing to invoice for 2026-07").
    periods: list[str] = field(default_factory=list)
    billed_periods: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail(self, client_id: int, reason: str) -> None:
        with self._lock:
            self.failed += 1
            if len(self.failures) < FAILURE_DETAIL_LIMIT:
                self.failures.append(f"client #{client_id}: {reason}")

    def add_amount(self, code: str, amount: Decimal) -> None:
        self.amounts[code] = self.amounts.get(code, Decimal("0")) + amount

    def counters(self) -> dict[str, Any]:
        """JSON-ready counters, stored with the cron run and shown on the admin page."""
        return {
            "provisioned": self.provisioned, "pending": self.pending, "invoiced": self.invoiced,
            "no_usage": self.no_usage, "already_billed": self.already_billed, "emailed": self.emailed,
            "amounts": {code: str(amount) for code, amount in sorted(self.amounts.items())},
            "locked": self.locked, "suspended": self.suspended, "reactivated": self.reactivated,
            "skipped": dict(sorted(self.skipped.items())), "failed": self.failed, "failures": self.failures,
        }

    def summary_lines(self) -> list[str]:
        """What the run did, in words; what it had nothing to do for says so (never "0 for nothing")."""
        lines = []
        if self.provisioned or self.pending:
            lines.append(f"enrolments provisioned: {self.provisioned}"
                         + (f" (still pending: {self.pending})" if self.pending else ""))
        others = [f"{label}: {count}" for label, count in (("no usage", self.no_usage),
                  ("already billed", self.already_billed), ("invoice emails", self.emailed)) if count]
        if self.invoiced:
            amounts = ", ".join(format_money(a, c) for c, a in sorted(self.amounts.items()))
            months = f" for {', '.join(self.billed_periods)}" if self.billed_periods else ""
            lines.append(f"clients invoiced: {self.invoiced}{months}, {amounts}" + "".join(f"; {o}" for o in others))
        else:
            # The latest month is the news; older ones are only looked at again (lookback).
            month = f" for {self.periods[-1]}" if self.periods else ""
            lines.append(f"nothing to invoice{month}" + (f" ({'; '.join(others)})" if others else ""))
        changed = [f"{label}: {count}" for label, count in (("locked", self.locked), ("suspended", self.suspended),
                   ("reactivated", self.reactivated)) if count]
        lines.append("; ".join(changed) if changed else "no account locked, suspended or reactivated")
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"skipped ({reason}): {count}")
        if self.failed:
            lines.append(f"failures: {self.failed}")
            lines.extend(f"  {f}" for f in self.failures)
        return lines
