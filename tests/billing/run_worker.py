"""``python -m tests.billing.run_worker --database-url URL --home DIR --sim-url URL --token T --today D``

One SolusioAutomation run in a process of its own: a Host over the given database with the
SolusIO addon, ``Automation(...).run(today)`` against the simulator. Prints ``started`` once the
Host is built and ``done <counters JSON>`` once the run is over, so a parent knows where a kill
landed and can compare runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

import solusio_addon.plugin
from hostsim.clock import clock
from hostsim.config import HostConfig
from hostsim.host import Host
from hostsim.plugins.manager import get_plugin_manager
from solusio_addon.billing.automation import Automation
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.solusio_api import SolusioClient


def main(argv: list[str]) -> int:
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
