"""What the admin page and ``hostsim solusio ...`` show about billing: the last
SolusioAutomation run (from the host's cron records), the enrolments with why each one has its
status, and the "exempt from automatic lock/suspend" switch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from hostsim.addon_api import Client, CronRun, CronRunStatus, Invoice, Page, clamp_page
from solusio_addon.admin.enrolments import link_failed
from solusio_addon.billing.automation import TASK_NAME
from solusio_addon.db.models import Enrolment, EnrolmentStatus

if TYPE_CHECKING:
    from hostsim.addon_api import Host

PER_PAGE = 50


@dataclass(frozen=True)
class LastRun:
    """One SolusioAutomation run as the cron runner recorded it."""

    as_of: date
    started_at: datetime
    finished_at: datetime | None
    status: CronRunStatus
    counters: dict[str, Any]
    error: str

    @property
    def amounts(self) -> dict[str, str]:
        value = self.counters.get("amounts", {})
        return dict(value) if isinstance(value, dict) else {}

    @property
    def skipped(self) -> dict[str, int]:
        value = self.counters.get("skipped", {})
        return dict(value) if isinstance(value, dict) else {}

    @property
    def failures(self) -> list[str]:
        value = self.counters.get("failures", [])
        return [str(v) for v in value] if isinstance(value, list) else []

    def count(self, name: str) -> int:
        value = self.counters.get(name, 0)
        return value if isinstance(value, int) else 0


def last_run(host: "Host") -> LastRun | None:
    """The most recent SolusioAutomation run (running, finished or failed), or None."""
    with host.sessions() as s:
        row = s.scalars(select(CronRun).where(CronRun.task_name == TASK_NAME)
                        .order_by(CronRun.started_at.desc(), CronRun.id.desc()).limit(1)).first()
    if row is None:
        return None
    try:
        counters = json.loads(row.counters or "{}")
    except ValueError:
        counters = {}
    return LastRun(as_of=row.as_of, started_at=row.started_at, finished_at=row.finished_at, status=row.status,
                   counters=counters if isinstance(counters, dict) else {}, error=row.error or "")


@dataclass(frozen=True)
class EnrolmentRow:
    client_id: int
    name: str
    email: str
    solusio_user_id: int | None
    status: EnrolmentStatus
    exempt: bool
    invoice_id: int | None  # the overdue invoice behind a lock or suspension
    invoice_due: date | None
    last_error: str = ""

    @property
    def failed(self) -> bool:
        """A pending enrolment whose SolusIO user was refused: not retried, the admin must resolve it."""
        return self.status is EnrolmentStatus.PENDING and link_failed(self.last_error)

    @property
    def note(self) -> str:
        """What an enrolled client's row must say besides its status: an email change SolusIO
        refused for good (reported here once, never retried)."""
        return self.last_error if self.status is not EnrolmentStatus.PENDING else ""

    @property
    def why(self) -> str:
        if self.status is EnrolmentStatus.PENDING:
            return self.last_error or "waiting for the SolusIO user to be created"
        if self.status is EnrolmentStatus.CLOSED:
            return "client closed: SolusIO user suspended; the month of the closure is invoiced at the month-end"
        if self.status in (EnrolmentStatus.LOCKED, EnrolmentStatus.SUSPENDED):
            if self.invoice_id is None:
                return f"{self.status.value} (no invoice recorded)"
            due = f", due {self.invoice_due.isoformat()}" if self.invoice_due else ""
            return f"invoice #{self.invoice_id} unpaid{due}"
        return ""


@dataclass
class EnrolmentPage(Page[EnrolmentRow]):
    """One page of enrolments (the host's paging arithmetic) and the status it is filtered by."""

    status: EnrolmentStatus | None = None


def parse_status(text: str | None) -> EnrolmentStatus | None:
    """``active`` etc. -> the status; '' or None -> no filter; ValueError names the choices."""
    if not text:
        return None
    try:
        return EnrolmentStatus(text.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in EnrolmentStatus)
        raise ValueError(f"status: {text!r} is not one of {choices}") from None


def enrolments(host: "Host", *, status: EnrolmentStatus | None = None, page: int = 1,
               per_page: int | None = PER_PAGE) -> EnrolmentPage:
    """One page of enrolments (by client id), ``page`` clamped to the pages there are;
    ``per_page=None`` gives all of them."""
    query = (select(Enrolment.client_id, Client.first_name, Client.last_name, Client.email,
                    Enrolment.solusio_user_id, Enrolment.status, Enrolment.exempt_from_overdue,
                    Enrolment.status_invoice_id, Invoice.due_date, Enrolment.last_error)
             .join(Client, Client.id == Enrolment.client_id)
             .outerjoin(Invoice, Invoice.id == Enrolment.status_invoice_id)
             .order_by(Enrolment.client_id))
    counting = select(func.count()).select_from(Enrolment)
    if status is not None:
        query = query.where(Enrolment.status == status)
        counting = counting.where(Enrolment.status == status)
    with host.sessions() as s:
        total = int(s.scalar(counting) or 0)
        size = per_page or max(1, total)
        page = clamp_page(page, total, size)
        rows = s.execute(query.limit(size).offset((page - 1) * size)).all()
    items = [EnrolmentRow(client_id=r[0], name=f"{r[1]} {r[2]}".strip(), email=r[3], solusio_user_id=r[4],
                          status=r[5], exempt=bool(r[6]), invoice_id=r[7], invoice_due=r[8], last_error=r[9] or "")
             for r in rows]
    return EnrolmentPage(items=items, page=page, per_page=size, total=total, status=status)


class NotEnrolled(LookupError):
    pass


def set_exempt(host: "Host", client_id: int, exempt: bool, *, actor: str, admin_id: int | None = None) -> bool:
    """Exempt a client from automatic lock/suspend (or not); logged. False when nothing changed.

    The next SolusioAutomation run applies it (an exempt client that is locked is reactivated)."""
    with host.transaction() as s:
        enrolment = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).first()
        if enrolment is None:
            raise NotEnrolled(f"client #{client_id} is not enrolled in SolusIO post-pay")
        if bool(enrolment.exempt_from_overdue) == exempt:
            return False
        enrolment.exempt_from_overdue = exempt
        what = "exempt from" if exempt else "no longer exempt from"
        host.activity.log(f"Addon solusio: client #{client_id} {what} automatic lock/suspend", actor=actor,
                          admin_id=admin_id, client_id=client_id, session=s)
    return True
