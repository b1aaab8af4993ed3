"""The overdue lifecycle applied: SolusioAutomation's daily pass that locks, suspends and
reactivates SolusIO users as the rules of ``overdue.decide`` say, the addon's invoices still owed
(which those rules read), and ``apply_status``, which records a status SolusIO now has, logs it
and emails the client (the pass, InvoicePaid, the reconcile and the admin's buttons all use it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, Iterator, cast

from sqlalchemy import and_, exists, select

from hostsim.addon_api import Client, Invoice, InvoiceStatus
from solusio_addon.billing.fetching import DEFAULT_WORKERS
from solusio_addon.billing.overdue import Decision, OpenInvoice, decide
from solusio_addon.billing.paging import enrolment_pages
from solusio_addon.billing.report import Policy, Report, Say
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient, SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host

OWED_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.COLLECTIONS)


class OverduePass:
    """Step 3 of a SolusioAutomation run: its counts and failures go to the run's ``report``."""

    def __init__(self, host: "Host", api: SolusioClient, policy: Policy, report: Report, *, say: Say | None = None,
                 workers: int = DEFAULT_WORKERS) -> None:
        self.host = host
        self.api = api
        self.policy = policy
        self.report = report
        self.say: Say = say or (lambda level, message: None)
        self.workers = max(1, workers)

    def overdue_candidates(self, today: date) -> Iterator[list[tuple[int, int, EnrolmentStatus, bool]]]:
        """Pages of enrolments that may need a change: an owed addon invoice past its due date,
        or not active now (to reactivate)."""
        overdue = exists().where(and_(BilledPeriod.client_id == Enrolment.client_id,
                                      BilledPeriod.invoice_id == Invoice.id, Invoice.status.in_(OWED_STATUSES),
                                      Invoice.due_date < today))
        query = (select(Enrolment.client_id, Enrolment.solusio_user_id, Enrolment.status, Enrolment.exempt_from_overdue)
                 .where(Enrolment.solusio_user_id.is_not(None),
                        Enrolment.status.not_in((EnrolmentStatus.PENDING, EnrolmentStatus.CLOSED)),
                        (Enrolment.status != EnrolmentStatus.ACTIVE) | overdue))
        for rows in enrolment_pages(self.host, query):
            yield [(client_id, cast(int, user_id), status, exempt) for client_id, user_id, status, exempt in rows]

    def apply(self, today: date) -> None:
        """Decide every candidate's status, push the changes to SolusIO (``workers`` at once), then
        record each one SolusIO accepted; a refusal is a failure of the run, tried again tomorrow."""
        changes: list[tuple[int, int, EnrolmentStatus, Decision]] = []
        for page in self.overdue_candidates(today):
            invoices = open_addon_invoices(self.host, [row[0] for row in page])
            for client_id, user_id, status, exempt in page:
                decision = decide(today, invoices.get(client_id, []), lock_days=self.policy.lock_days,
                                  suspend_days=self.policy.suspend_days, exempt=exempt)
                self.say(3, f"client #{client_id}: {status.value} -> {decision.status.value} ({decision.reason})")
                if decision.status is not status:
                    changes.append((client_id, user_id, status, decision))
        if not changes:
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="solusio-status") as pool:
            results = list(pool.map(lambda c: self._push_status(*c), changes))
        for (client_id, _user, _old, decision), ok in zip(changes, results):
            if not ok:
                continue
            if decision.status is EnrolmentStatus.LOCKED:
                self.report.locked += 1
            elif decision.status is EnrolmentStatus.SUSPENDED:
                self.report.suspended += 1
            else:
                self.report.reactivated += 1

    def _push_status(self, client_id: int, user_id: int, old: EnrolmentStatus, decision: Decision) -> bool:
        try:
            self.api.set_user_status(user_id, decision.status.value)
        except SolusioError as exc:
            self.report.fail(client_id, f"could not set SolusIO user #{user_id} {decision.status.value}: {exc}")
            return False
        apply_status(self.host, client_id, old, decision)
        return True


def open_addon_invoices(host: "Host", client_ids: list[int]) -> dict[int, list[OpenInvoice]]:
    """The addon's invoices still owed (Unpaid or Collections) of each client."""
    with host.sessions() as s:
        rows = s.execute(select(Invoice.client_id, Invoice.id, Invoice.due_date)
                         .join(BilledPeriod, BilledPeriod.invoice_id == Invoice.id)
                         .where(Invoice.client_id.in_(client_ids), Invoice.status.in_(OWED_STATUSES))).all()
    found: dict[int, list[OpenInvoice]] = {}
    for client_id, invoice_id, due_date in rows:
        found.setdefault(client_id, []).append(OpenInvoice(invoice_id, due_date))
    return found


def apply_status(host: "Host", client_id: int, old: EnrolmentStatus, decision: Decision, *, actor: str = "System",
                 admin_id: int | None = None, notify: bool = True) -> None:
    """Record a status SolusIO now has, log it, and tell the client (unless not ``notify``: an
    admin's change by hand, whose emails would name an overdue invoice there is none of)."""
    with host.transaction() as s:
        enrolment = s.scalars(select(Enrolment).where(Enrolment.client_id == client_id)).one()
        enrolment.status = decision.status
        enrolment.status_invoice_id = decision.invoice_id
        enrolment.status_changed_at = host.clock.now()
        host.activity.log(f"SolusIO user #{enrolment.solusio_user_id} {old.value} -> {decision.status.value}: "
                          f"{decision.reason}", actor=actor, admin_id=admin_id, client_id=client_id, session=s)
        client = s.get(Client, client_id)
        assert client is not None
        email, first_name = client.email, client.first_name
    if not notify:
        return
    template = {EnrolmentStatus.LOCKED: "locked", EnrolmentStatus.SUSPENDED: "suspended"}.get(
        decision.status, "reactivated")
    company = host.settings.get("company_name")
    body = host.templates.render("solusio", f"emails/{template}.txt", first_name=first_name,
                                       invoice_id=decision.invoice_id, company=company,
                                       base_url=host.base_url)
    subjects = {"locked": "Your cloud account is locked", "suspended": "Your cloud servers are suspended",
                "reactivated": "Your cloud account is active again"}
    host.mail.send(email, subjects[template], body, client_id=client_id)
