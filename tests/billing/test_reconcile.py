"""The reconcile over real HTTP to the simulator: each kind of drift is found, the safe ones are
repaired (logged, once), the others reported with the admin's action; one request per page of
users plus one per repaired user."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

from sqlalchemy import func, select

from hostsim.db.models import ActivityLog
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.billing.reconcile import Reconcile, stored_drift
from solusio_addon.db.models import Drift, DriftKind, Enrolment, ReconcileRun
from solusio_addon.solusio_api import SolusioClient

AUG_3 = date(2026, 8, 3)
PAGE = 15  # the simulator's page size


def reconcile(world, *, fix: bool = False, only_client: int | None = None, limit_group_id: int | None = None):
    solusio = SolusioClient(world.sim.url, world.sim.admin_token, retries=0)
    policy = replace(policy_from_settings(world.api), limit_group_id=limit_group_id)
    return Reconcile(world.api, solusio, policy).run(AUG_3, fix=fix, only_client=only_client)


def kinds(found) -> set[tuple[str, int | None]]:
    return {(f.kind.value, f.client_id) for f in found}


def repair_logs(world) -> list[str]:
    with world.host.sessions() as s:
        return list(s.scalars(select(ActivityLog.description).where(ActivityLog.description.like("%reconcile repaired%"))
                              .order_by(ActivityLog.id)))


def user_puts(world) -> list[str]:
    return [r.path for r in world.sim.requests if r.method == "PUT" and r.path.startswith("/api/v1/users/")]


def user_pages(world) -> list[str]:
    return [r.query for r in world.sim.requests if r.method == "GET" and r.path == "/api/v1/users"]


def drifted_world(world):
    """Ten clean enrolments plus one of each kind of drift. Returns the clients by kind."""
    pairs = world.enrol_many([f"ok{i}@example.com" for i in range(10)])
    (email_c, email_u), (status_c, status_u), (ours_c, ours_u), (adopted_c, adopted_u), (gone_c, gone_u) = \
        world.enrol_many(["email@example.com", "status@example.com", "ours@example.com", "adopted@example.com",
                          "gone@example.com"])
    group = world.sim.state.add_limit_group("Post-pay")
    state = world.sim.state
    for _, user in pairs + [(email_c, email_u), (status_c, status_u), (ours_c, ours_u), (adopted_c, adopted_u)]:
        state.update_user(user, limit_group_id=group.id)
    state.update_user(email_u, email="changed-in-solusio@example.com")
    state.set_user_status(status_u, "locked")  # nothing is owed: the rules say active
    with world.host.transaction() as s:
        s.scalars(select(Enrolment).where(Enrolment.client_id == ours_c)).one().user_created = True
    state.update_user(ours_u, billing_user_id=999_999)
    state.update_user(adopted_u, billing_user_id=888_888)
    state.delete_user(gone_u)
    stranger = state.add_user("stranger@example.com", billing_user_id=777_777)
    return {"email": (email_c, email_u), "status": (status_c, status_u), "ours": (ours_c, ours_u),
            "adopted": (adopted_c, adopted_u), "gone": (gone_c, gone_u), "stranger": stranger.id,
            "group": group.id, "users": len(state.users)}


def test_every_kind_of_drift_is_found_and_only_reported_without_fix(world):
    w = drifted_world(world)
    world.sim.clear_requests()
    result = reconcile(world, limit_group_id=w["group"])
    assert kinds(result.found) == {
        ("email", w["email"][0]), ("status", w["status"][0]), ("billing_user_id", w["ours"][0]),
        ("billing_user_id", w["adopted"][0]), ("missing_user", w["gone"][0]), ("foreign_billing_id", None),
    }
    assert not result.repaired and not user_puts(world)
    assert len(user_pages(world)) == math.ceil(w["users"] / PAGE) == result.requests
    foreign = [f for f in result.found if f.kind is DriftKind.FOREIGN_BILLING_ID]
    assert [f.user_id for f in foreign] == [w["stranger"]] and "777777 names no enrolled client" in foreign[0].detail
    assert world.sim.state.get_user(w["status"][1]).status == "locked"  # nothing changed in SolusIO
    run, rows, total = stored_drift(world.api)
    assert (run.found, run.repaired, run.reported, total) == (6, 0, 6, 6)
    assert all(row.action for row in rows)


def test_fix_repairs_the_safe_kinds_once_and_reports_the_rest(world):
    w = drifted_world(world)
    clean = world.enrol_many(["nogroup@example.com"])[0]  # no limit group: repaired to the post-pay one
    world.sim.clear_requests()
    result = reconcile(world, fix=True, limit_group_id=w["group"])
    assert kinds(result.repaired) == {("status", w["status"][0]), ("billing_user_id", w["ours"][0]),
                                      ("limit_group", clean[0])}
    assert kinds(result.reported) == {("email", w["email"][0]), ("billing_user_id", w["adopted"][0]),
                                      ("missing_user", w["gone"][0]), ("foreign_billing_id", None)}
    state = world.sim.state
    assert state.get_user(w["status"][1]).status == "active"
    assert state.get_user(w["ours"][1]).billing_user_id == w["ours"][0]
    assert state.get_user(clean[1]).limit_group_id == w["group"]
    assert state.get_user(w["adopted"][1]).billing_user_id == 888_888  # reported, not touched
    assert state.get_user(w["email"][1]).email == "changed-in-solusio@example.com"
    # one request per page plus one per repaired user
    pages = math.ceil((w["users"] + 1) / PAGE)
    assert len(user_pages(world)) == pages and len(user_puts(world)) == 3
    assert len(world.sim.requests) == result.requests == pages + 3
    logs = repair_logs(world)
    assert len(logs) == 3 and any(f"user #{w['status'][1]} of client #{w['status'][0]}: status" in d for d in logs)

    world.sim.clear_requests()
    again = reconcile(world, fix=True, limit_group_id=w["group"])
    assert not again.repaired and not user_puts(world)  # nothing repaired twice
    assert len(world.sim.requests) == again.requests == pages
    assert repair_logs(world) == logs
    assert kinds(again.reported) == kinds(result.reported)
    with world.host.sessions() as s:  # reported drift is logged once, when first found
        found_logs = s.scalar(select(func.count()).select_from(ActivityLog)
                              .where(ActivityLog.description.like("SolusIO reconcile found%")))
        assert found_logs == 4
        assert s.scalar(select(func.count()).select_from(Drift)) == 4
        assert s.scalar(select(func.count()).select_from(ReconcileRun)) == 2


def test_one_client_only(world):
    w = drifted_world(world)
    world.sim.clear_requests()
    result = reconcile(world, fix=True, only_client=w["status"][0])
    assert kinds(result.found) == {("status", w["status"][0])} and result.enrolments == 1
    assert len(user_puts(world)) == 1
    assert world.sim.state.get_user(w["email"][1]).email == "changed-in-solusio@example.com"


def test_a_status_the_rules_give_is_repaired_and_recorded(world):
    """An invoice 20 days overdue locks; SolusIO was set active by hand: the reconcile locks it again."""
    world.set_prices(USD="0.0010")
    ann, user = world.enrol("ann@example.com")
    world.server(user, "2026-07-01T00:00:00", "2026-07-02T00:00:00")
    world.automation().run(date(2026, 8, 1))
    world.automation().run(date(2026, 8, 22))
    assert world.sim.state.get_user(user).status == "locked"
    world.sim.state.set_user_status(user, "active")
    solusio = SolusioClient(world.sim.url, world.sim.admin_token, retries=0)
    result = Reconcile(world.api, solusio, policy_from_settings(world.api)).run(date(2026, 8, 23), fix=True)
    assert kinds(result.repaired) == {("status", ann)}
    assert world.sim.state.get_user(user).status == "locked"


def test_pages_after_the_first_are_read_once_each_even_when_some_fail_and_are_retried(world):
    """Pages 2..last go concurrently; three failed attempts among them are retried by the
    transport: every page answered exactly once, the users in page order, none lost or twice."""
    state = world.sim.state
    for i in range(PAGE * 6 + 4):
        state.add_user(f"u{i}@example.com")
    ids = sorted(state.users)
    last = math.ceil(len(ids) / PAGE)
    solusio = SolusioClient(world.sim.url, world.sim.admin_token, retries=3, backoff=0.01)
    world.sim.clear_requests()
    pages: list[int] = []

    def on_page(n: int) -> None:
        pages.append(n)
        if n == 1:  # page 1 is in: the next three page requests fail once each
            world.sim.faults.fail_next(3, method="GET", path_prefix="users", status=503)

    users = [u.id for u in solusio.users(on_page=on_page, workers=4)]
    assert users == ids and pages == list(range(1, last + 1))
    asked = [r for r in world.sim.requests if r.method == "GET" and r.path == "/api/v1/users"]
    answered = sorted(r.query for r in asked if r.status == 200)
    assert answered == sorted(f"page={n}" for n in range(1, last + 1))
    assert len(asked) == last + 3 and sum(r.status == 503 for r in asked) == 3


def test_users_created_while_paging_are_read_from_the_newer_last_page(world):
    state = world.sim.state
    for i in range(PAGE * 2):
        state.add_user(f"u{i}@example.com")

    def on_page(n: int) -> None:
        if n == 1:
            for i in range(PAGE):  # a third page appears once page 1 was read
                state.add_user(f"late{i}@example.com")

    solusio = SolusioClient(world.sim.url, world.sim.admin_token, retries=0)
    world.sim.clear_requests()
    users = [u.id for u in solusio.users(on_page=on_page, workers=4)]
    assert users == sorted(state.users)
    before = math.ceil((len(state.users) - PAGE) / PAGE)
    assert before < math.ceil(len(state.users) / PAGE)  # the list grew by a page while it was read
    # Pages are read concurrently, so they may arrive in any order: each is read once.
    assert sorted(r.query for r in world.sim.requests if r.path == "/api/v1/users") == \
        sorted(f"page={n}" for n in range(1, math.ceil(len(state.users) / PAGE) + 1))


def test_a_user_shifted_onto_a_later_page_is_yielded_once():
    """The list shifted between two pages (a deletion while paging): the repeated id is skipped."""
    from solusio_addon.solusio_api.paging import read_pages_concurrently

    pages = {1: [{"id": 1}, {"id": 2}], 2: [{"id": 2}, {"id": 3}], 3: [{"id": 4}]}

    class Pages:
        def request(self, method: str, path: str, *, params: dict[str, int] | None = None) -> dict[str, object]:
            page = (params or {})["page"]
            return {"data": pages[page], "meta": {"current_page": page, "last_page": 3}}

    assert [d["id"] for d in read_pages_concurrently(Pages(), "users", workers=2)] == [1, 2, 3, 4]
