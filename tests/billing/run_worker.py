"""``python -m tests.billing.run_worker --database-url URL --home DIR --sim-url URL --token T --today D``

One SolusioAutomation run in a process of its own: a Host over the given database with the
SolusIO addon, ``Automation(...).run(today)`` against the simulator. Prints ``started`` once the
Host is built and ``done <counters JSON>`` once the run is over, so a parent knows where a kill
landed and can compare runs.

``python -m tests.billing.run_worker hostsim [ARGS...]`` is instead the ``hostsim`` command
itself (``cron do --SolusioAutomation ...``: its runner, its lock, the addon's task with the
connection saved in the addon's settings), reading ``HOSTSIM_HOME`` and ``HOSTSIM_DATABASE_URL``,
with the SolusIO addon loaded without its entry point and one change: the task bills in batches
of ``HELPER_BATCH_SIZE`` (default 5) with ``HELPER_WORKERS`` (4) fetchers, so a month of a few
dozen clients commits several times and a kill can land between any two commits; with
``--workers``, ``HELPER_CLAIM_SIZE`` clients per claimed batch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from typing import Any

import solusio_addon.plugin
from hostsim.clock import clock
from hostsim.config import HostConfig
from hostsim.host import Host
from hostsim.plugins.manager import get_plugin_manager
from solusio_addon.billing.automation import Automation
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.solusio_api import SolusioClient


def hostsim(argv: list[str]) -> int:
    import solusio_addon.billing.hooks as task_module
    from hostsim.cli import main as hostsim_main

    batch_size, workers = int(os.environ.get("HELPER_BATCH_SIZE", "5")), int(os.environ.get("HELPER_WORKERS", "4"))

    class SmallBatches(Automation):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{"batch_size": batch_size, "workers": workers, **kwargs})

    task_module.Automation = SmallBatches  # type: ignore[misc]
    if os.environ.get("HELPER_CLAIM_SIZE"):  # --workers: batches of this many clients (planned here)
        import solusio_addon.billing.parallel as parallel
        parallel.CLAIM_SIZE = int(os.environ["HELPER_CLAIM_SIZE"])
    plugins = get_plugin_manager(autoload=False, addons=[("solusio", solusio_addon.plugin)])
    hostsim_main(argv, obj=lambda config: Host(config, pm=plugins), prog_name="hostsim")
    return 0  # not reached: the command exits with its own status


def main(argv: list[str]) -> int:
    if argv[:1] == ["hostsim"]:
        return hostsim(argv[1:])
    parser = argparse.ArgumentParser(prog="run_worker")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--sim-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--today", required=True, type=date.fromisoformat)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=250)
    args = parser.parse_args(argv)
    clock.set_today(args.today)
    host = Host(HostConfig.from_env(home=args.home, database_url=args.database_url),
                pm=get_plugin_manager(autoload=False, addons=[("solusio", solusio_addon.plugin)]))
    api = host.addon_api  # the host the addon's cron task is given
    solusio = SolusioClient(args.sim_url, args.token, retries=2, backoff=0.01)
    print("started", flush=True)
    try:
        report = Automation(api, solusio, policy_from_settings(api), workers=args.workers,
                            batch_size=args.batch_size).run(args.today)
    finally:
        solusio.close()
        host.engine.dispose()
    print("done " + json.dumps(report.counters()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
