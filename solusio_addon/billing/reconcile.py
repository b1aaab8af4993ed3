"""The reconcile: where the host and SolusIO disagree, and the repairs that are safe to make.

Every enrolment with a SolusIO user is compared with that user, read from ONE pass over
``GET users`` (one request per page, whatever the number of enrolments; pages 2..last are read
concurrently, ``workers`` in flight at most, the bound the run's usage fetch has):

* status: what the overdue rules say (``overdue.decide``, the same rules SolusioAutomation
  applies), or suspended for a closed client. Repaired.
* ``billing_user_id``: the client's id. Repaired for a user the addon created; reported for a
  user that existed before and was adopted (someone may rely on the other id).
* limit group: the post-pay limit group of the settings, when one is set. Repaired.
* email: the client's. Reported only (the address may be another user's; SolusIO decides).
* a user that no longer exists in SolusIO. Reported only.

And every SolusIO user whose ``billing_user_id`` names no enrolment of it is reported.

A repair is ONE ``PUT users/{id}`` per user carrying every safe field that differs, logged in
the activity log once per field; the next pass finds nothing to repair, so nothing is repaired
twice. Reported drift is stored (the Billing tab's Consistency section lists it with the
admin's action) and logged once, when first found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Sequence, cast

from sqlalchemy import delete, select

from hostsim.addon_api import Client
from solusio_addon.billing.fetching import DEFAULT_WORKERS
from solusio_addon.billing.lifecycle import apply_status, open_addon_invoices
from solusio_addon.billing.overdue import Decision, decide
from solusio_addon.billing.report import Policy
from solusio_addon.db.models import Drift, DriftKind, Enrolment, EnrolmentStatus, ReconcileRun
from solusio_addon.solusio_api import SolusioClient, SolusioError, User

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)

Say = Callable[[int, str], None]
CHUNK = 1000  # client ids per query of open invoices


@dataclass(frozen=True)
class Found:
    """One disagreement. ``repairable``: the safe kinds the pass fixes with ``fix``."""

    kind: DriftKind
    client_id: int | None
    user_id: int | None
    detail: str
    action: str
    repairable: bool = False

    def line(self) -> str:
        who = f"client #{self.client_id}" if self.client_id is not None else "no client"
        user = f"SolusIO user #{self.user_id}" if self.user_id is not None else "no SolusIO user"
        return f"{self.kind.value}: {who}, {user}: {self.detail}" + ("" if self.repairable else f" -> {self.action}")


@dataclass(slots=True)  # one per enrolment, all held during a pass: no __dict__ each
class Expected:
    """What one enrolment says its SolusIO user should be."""

    client_id: int
    user_id: int
    email: str
    enrolment_status: EnrolmentStatus
    decision: Decision  # the status the rules (or the closure) give the user
    user_created: bool


@dataclass
class Result:
    enrolments: int = 0
    users: int = 0
    pages: int = 0
    found: list[Found] = field(default_factory=list)
    repaired: list[Found] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    repair_requests: int = 0

    @property
    def requests(self) -> int:
        return self.pages + self.repair_requests

    @property
    def reported(self) -> list[Found]:
        done = set(map(id, self.repaired))
        return [f for f in self.found if id(f) not in done]

    def counters(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for f in self.found:
            kinds[f.kind.value] = kinds.get(f.kind.value, 0) + 1
        return {"enrolments": self.enrolments, "users": self.users, "requests": self.requests,
                "found": len(self.found), "repaired": len(self.repaired), "reported": len(self.reported),
                "kinds": dict(sorted(kinds.items())), "failures": self.failed[:50]}

    def summary_lines(self) -> list[str]:
        lines = [f"reconcile: {self.enrolments} enrolment(s), {self.users} SolusIO user(s), {self.requests} "
                 f"request(s) ({self.pages} page(s) + {self.repair_requests} repair(s))",
                 (f"drift found: {len(self.found)}; repaired: {len(self.repaired)}; reported: {len(self.reported)}"
                  if self.found or self.repaired or self.reported else "no drift: the host and SolusIO agree")]
        lines.extend(f"  {f.line()}" for f in self.reported)
        lines.extend(f"  failed: {reason}" for reason in self.failed)
        return lines


def expected(host: "Host", policy: Policy, today: date, only_client: int | None = None) -> dict[int, Expected]:
    """Every enrolment with a SolusIO user, by user id, with the status its user should have."""
    query = (select(Enrolment.client_id, Enrolment.solusio_user_id, Client.email, Enrolment.status,
                    Enrolment.exempt_from_overdue, Enrolment.user_created)
             .join(Client, Client.id == Enrolment.client_id)
             .where(Enrolment.solusio_user_id.is_not(None), Enrolment.status != EnrolmentStatus.PENDING)
             .order_by(Enrolment.client_id))
    if only_client is not None:
        query = query.where(Enrolment.client_id == only_client)
    found: dict[int, Expected] = {}
    with host.sessions() as s:  # streamed: one chunk of rows at a time beside what is kept
        for chunk in s.execute(query.execution_options(yield_per=CHUNK)).partitions():
            _add_chunk(host, policy, today, chunk, found)
    return found


def _add_chunk(host: "Host", policy: Policy, today: date, chunk: Sequence[Any], found: dict[int, Expected]) -> None:
    owed = open_addon_invoices(host, [r[0] for r in chunk])
    for client_id, user_id, email, status, exempt, created in chunk:
        if status is EnrolmentStatus.CLOSED:
            decision = Decision(EnrolmentStatus.SUSPENDED, None, f"client #{client_id} is closed")
        else:
            decision = decide(today, owed.get(client_id, []), lock_days=policy.lock_days,
                              suspend_days=policy.suspend_days, exempt=exempt)
        uid = cast(int, user_id)  # NOT NULL by the query
        found[uid] = Expected(client_id, uid, email, status, decision, bool(created))


def compare(want: Expected, user: User, limit_group_id: int | None) -> list[Found]:
    """The disagreements between one enrolment and its SolusIO user."""
    out: list[Found] = []
    cid, uid = want.client_id, user.id
    if user.email.strip().casefold() != want.email.strip().casefold():
        out.append(Found(DriftKind.EMAIL, cid, uid, f"SolusIO has {user.email}, the client {want.email}",
                         "make them equal: change the client's email (their Account Details, or edit the client) "
                         "or the user's in SolusIO; if another SolusIO user holds the client's address, free it "
                         "first"))
    if user.status != want.decision.status.value:
        out.append(Found(DriftKind.STATUS, cid, uid, f"SolusIO has {user.status or 'no status'}, the rules say "
                         f"{want.decision.status.value} ({want.decision.reason})", "", repairable=True))
    if user.billing_user_id != cid:
        has = f"billing_user_id {user.billing_user_id}" if user.billing_user_id is not None else "no billing_user_id"
        out.append(Found(DriftKind.BILLING_ID, cid, uid, f"SolusIO has {has}, expected {cid}",
                         f"the user existed before it was linked: set its billing_user_id to {cid} in SolusIO if "
                         "it is this client's, or close the client", repairable=want.user_created))
    if limit_group_id is not None and (user.limit_group is None or user.limit_group.id != limit_group_id):
        has = f"limit group #{user.limit_group.id}" if user.limit_group is not None else "no limit group"
        out.append(Found(DriftKind.LIMIT_GROUP, cid, uid, f"SolusIO has {has}, the post-pay limit group is "
                         f"#{limit_group_id}", "", repairable=True))
    return out


def foreign(user: User, user_of_client: dict[int, int]) -> Found | None:
    """A user whose billing_user_id names a client that is not enrolled with it."""
    bid = user.billing_user_id
    if bid is None or user_of_client.get(bid) == user.id:
        return None
    other = user_of_client.get(bid)
    why = (f"its billing_user_id {bid} is client #{bid}, enrolled with SolusIO user #{other}" if other is not None
           else f"its billing_user_id {bid} names no enrolled client")
    return Found(DriftKind.FOREIGN_BILLING_ID, bid if other is not None else None, user.id, why,
                 "clear the user's billing_user_id in SolusIO (or delete the user) unless another billing "
                 "system owns it; to bill it here, enrol the client it belongs to")


class Reconcile:
    """One pass as of ``today``; ``fix`` repairs the safe kinds."""

    def __init__(self, host: "Host", api: SolusioClient, policy: Policy, *, say: Say | None = None,
                 workers: int = DEFAULT_WORKERS) -> None:
        self.host, self.api, self.policy = host, api, policy
        self.workers = max(1, workers)  # pages of users in flight at most (the run's bound)
        self.say: Say = say or (lambda level, message: None)

    def run(self, today: date, *, fix: bool = False, only_client: int | None = None) -> Result:
        started = self.host.clock.now()
        result = Result()
        wanted = expected(self.host, self.policy, today, only_client)
        result.enrolments = len(wanted)
        user_of_client = self._user_of_client(only_client, wanted)
        seen: set[int] = set()

        def paged(n: int) -> None:
            result.pages = n
            self.say(2, f"reconcile: page {n} of SolusIO users read")

        for user in self.api.users(on_page=paged, workers=self.workers):
            result.users += 1
            want = wanted.get(user.id)
            if want is not None:
                seen.add(user.id)
                drifts = compare(want, user, self.policy.limit_group_id)
                result.found.extend(drifts)
                if fix and any(d.repairable for d in drifts):
                    self._repair(result, want, user, [d for d in drifts if d.repairable])
            elif only_client is None or user.billing_user_id == only_client:
                odd = foreign(user, user_of_client)
                if odd is not None:
                    result.found.append(odd)
        for user_id, want in wanted.items():
            if user_id not in seen:
                result.found.append(Found(DriftKind.MISSING_USER, want.client_id, user_id,
                                          "the user no longer exists in SolusIO",
                                          "close the client if they left; otherwise create the user again in "
                                          "SolusIO with the client's email and ask the client to enrol again"))
        self._store(result, today, started, fix, only_client)
        return result

    def _user_of_client(self, only_client: int | None, wanted: dict[int, Expected]) -> dict[int, int]:
        if only_client is None:
            return {w.client_id: uid for uid, w in wanted.items()}
        with self.host.sessions() as s:  # with --client, a foreign user may still name any enrolled client
            rows = s.execute(select(Enrolment.client_id, Enrolment.solusio_user_id)
                             .where(Enrolment.solusio_user_id.is_not(None))).all()
        return {cid: cast(int, uid) for cid, uid in rows}

    def _repair(self, result: Result, want: Expected, user: User, drifts: list[Found]) -> None:
        """ONE PUT with every safe field that differs; logged per field once SolusIO accepted it."""
        kinds = {d.kind for d in drifts}
        status = want.decision.status.value if DriftKind.STATUS in kinds else None
        result.repair_requests += 1
        try:
            self.api.update_user(user.id, status=status,
                                 limit_group_id=self.policy.limit_group_id if DriftKind.LIMIT_GROUP in kinds else None,
                                 billing_user_id=want.client_id if DriftKind.BILLING_ID in kinds else None)
        except SolusioError as exc:
            result.failed.append(f"client #{want.client_id}: SolusIO user #{user.id} not repaired: {exc}")
            self.say(1, result.failed[-1])
            return
        result.repaired.extend(drifts)
        with self.host.transaction() as s:
            for d in drifts:
                self.host.activity.log(f"SolusIO reconcile repaired user #{user.id} of client #{want.client_id}: "
                                       f"{d.kind.value}: {d.detail}", client_id=want.client_id, session=s)
        for d in drifts:
            self.say(3, f"repaired {d.line()}")
        # A status the rules give that the enrolment does not show yet: record it (and tell the
        # client) as the overdue pass would; a closed enrolment stays closed.
        if status is not None and want.enrolment_status not in (want.decision.status, EnrolmentStatus.CLOSED):
            apply_status(self.host, want.client_id, want.enrolment_status, want.decision)

    def _store(self, result: Result, today: date, started: Any, fix: bool, only_client: int | None) -> None:
        """Replace the stored drift (all, or one client's) with what is still unrepaired; log the new."""
        now = self.host.clock.now()
        reported = result.reported
        with self.host.transaction() as s:
            old_query = select(Drift.kind, Drift.client_id, Drift.solusio_user_id)
            wipe = delete(Drift)
            if only_client is not None:
                old_query = old_query.where(Drift.client_id == only_client)
                wipe = wipe.where(Drift.client_id == only_client)
            known = {tuple(r) for r in s.execute(old_query).all()}
            s.execute(wipe)
            for f in reported:
                s.add(Drift(kind=f.kind, client_id=f.client_id, solusio_user_id=f.user_id, detail=f.detail,
                            action=f.action if not f.repairable else "repaired by the next daily pass "
                                                                      "(or hostsim solusio reconcile --fix)",
                            found_at=now))
                if (f.kind, f.client_id, f.user_id) not in known:  # logged once, when first found
                    self.host.activity.log(f"SolusIO reconcile found {f.line()}", client_id=f.client_id, session=s)
            s.add(ReconcileRun(as_of=today, started_at=started, finished_at=now, fix=fix, only_client=only_client,
                               enrolments=result.enrolments, users=result.users, requests=result.requests,
                               found=len(result.found), repaired=len(result.repaired), reported=len(reported)))


def fixed_on(host: "Host", day: date) -> bool:
    """Whether a full pass with repairs already ran as of ``day`` (the daily run makes one a day)."""
    with host.sessions() as s:
        return s.scalars(select(ReconcileRun.id).where(ReconcileRun.as_of == day, ReconcileRun.fix.is_(True),
                                                       ReconcileRun.only_client.is_(None)).limit(1)).first() is not None


def stored_drift(host: "Host", *, limit: int = 200) -> tuple[ReconcileRun | None, list[Drift], int]:
    """The last pass, up to ``limit`` drift rows (by client) and how many there are."""
    from sqlalchemy import func

    with host.sessions() as s:
        run = s.scalars(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(1)).first()
        rows = list(s.scalars(select(Drift).order_by(Drift.client_id, Drift.kind, Drift.id).limit(limit)))
        total = int(s.scalar(select(func.count()).select_from(Drift)) or 0)
        s.expunge_all()
    return run, rows, total
