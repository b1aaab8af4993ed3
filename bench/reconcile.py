"""Benchmark the reconcile (``hostsim solusio reconcile``) at month-end scale.

The setup of ``bench/billing_run.py``: N enrolled clients whose SolusIO users the simulator
generated (its own process on loopback, 20 ms of added latency per request), a SQLite file
database. Then drift is made through the API (statuses, emails, billing ids of created and of
adopted users, deleted users, foreign users) and three passes are timed:

* report only (what ``Check now`` and ``hostsim solusio reconcile`` do);
* ``--fix`` (what the daily run does): the safe kinds repaired;
* ``--fix`` again: nothing left to repair.

For each: HTTP requests (counted by the simulator), pages of users, wall seconds, drift found,
repaired and reported.

    python bench/reconcile.py                 # 10,000 enrolments
    python bench/reconcile.py --clients 2000 --latency-ms 5
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from billing_run import PERIOD, prepare_host, start_sim  # noqa: E402

from solusio_addon.admin.client_factory import client_from_settings  # noqa: E402
from solusio_addon.billing.hooks import policy_from_settings  # noqa: E402
from solusio_addon.billing.reconcile import Reconcile  # noqa: E402
from solusio_addon.db.models import Enrolment  # noqa: E402

PAGE_SIZE = 15  # the simulator's default, like SolusIO's Laravel paginator


def make_drift(sim, host, clients: int, first_user_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One client in a hundred drifts (at least 100 clients), the kinds in turn; returns how many of each."""
    step = max(1, clients // 100)
    made = {"status": 0, "email": 0, "billing_id_ours": 0, "billing_id_adopted": 0, "deleted": 0, "foreign": 0}
    ours = []
    for n, client_id in enumerate(range(1, clients + 1, step)):
        user_id = first_user_id + client_id - 1
        kind = n % 5
        if kind == 0:
            sim.api("PUT", f"/api/v1/users/{user_id}", json={"status": "locked"})
            made["status"] += 1
        elif kind == 1:
            sim.api("PATCH", f"/api/v1/users/{user_id}", json={"email": f"moved{client_id}@elsewhere.test"})
            made["email"] += 1
        elif kind == 2:
            sim.api("PUT", f"/api/v1/users/{user_id}", json={"billing_user_id": 10_000_000 + client_id})
            ours.append(client_id)
            made["billing_id_ours"] += 1
        elif kind == 3:
            sim.api("PUT", f"/api/v1/users/{user_id}", json={"billing_user_id": 20_000_000 + client_id})
            made["billing_id_adopted"] += 1
        else:
            sim.api("DELETE", f"/api/v1/users/{user_id}")
            made["deleted"] += 1
    for i in range(max(1, clients // 1000)):
        sim.api("POST", "/api/v1/users", json={"email": f"stranger{i}@foreign.test", "password": "Foreign-pass-1",
                                               "billing_user_id": 30_000_000 + i})
        made["foreign"] += 1
    with host.transaction() as s:
        s.execute(update(Enrolment).where(Enrolment.client_id.in_(ours)).values(user_created=True))
    return made


def timed(host, fix: bool) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    api = host.addon_api
    with client_from_settings(api) as solusio:
        started = time.perf_counter()
        result = Reconcile(api, solusio, policy_from_settings(api)).run(host.clock.today(), fix=fix)
        return time.perf_counter() - started, result


def bench(clients: int, latency_ms: int) -> None:
    sim = start_sim(latency_ms)
    try:
        with tempfile.TemporaryDirectory(prefix="hostsim-bench-") as tmp:
            seeded = sim.api("POST", "/_sim/seed", json={"bulk": {"users": clients, "servers_per_user": 1,
                                                                  "period": PERIOD}})["bulk"]
            first_user_id = int(seeded["first_user_id"])
            host = prepare_host(Path(tmp), None, sim, None, clients, first_user_id)
            made = make_drift(sim, host, clients, first_user_id)
            print(f"\n== reconcile: {clients:,} enrolments, {latency_ms} ms latency, SQLite file, "
                  f"page size {PAGE_SIZE}")
            print("drift made: " + ", ".join(f"{k} {v}" for k, v in made.items()))
            for label, fix in (("report only", False), ("--fix", True), ("--fix again", True)):
                before = sim.requests_total()
                seconds, result = timed(host, fix)
                requests = sim.requests_total() - before
                r = result  # type: ignore[assignment]
                pages = r.pages  # type: ignore[attr-defined]
                print(f"{label:<12} {seconds:7.2f} s  requests {requests:,} (pages {pages:,} = "
                      f"ceil({r.users:,} users / {PAGE_SIZE}) -> {math.ceil(r.users / PAGE_SIZE):,}; "  # type: ignore[attr-defined]
                      f"repairs {r.repair_requests:,})  found {len(r.found):,}, "  # type: ignore[attr-defined]
                      f"repaired {len(r.repaired):,}, reported {len(r.reported):,}")  # type: ignore[attr-defined]
                if requests != r.requests:  # type: ignore[attr-defined]
                    raise SystemExit(f"the simulator counted {requests} requests, the reconcile {r.requests}")  # type: ignore[attr-defined]
            host.engine.dispose()
    finally:
        sim.process.terminate()
        sim.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    bench(args.clients, args.latency_ms)


if __name__ == "__main__":
    main()
