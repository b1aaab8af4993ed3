"""``python -m tests.cron.helper_cli [hostsim options] COMMAND ...``: hostsim with a test addon.

The addon ``sleeper`` registers ``SolusioAutomation``, a task that records its start in the
activity log, then waits until the file named by ``HELPER_BARRIER`` exists or
``HELPER_SLEEP`` seconds (default 1) have passed. No entry point is involved.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from hostsim.addon_api import AddonConfig, CronContext, CronTaskSpec, hookimpl
from hostsim.cli import main
from hostsim.config import HostConfig
from hostsim.host import Host
from hostsim.plugins.manager import get_plugin_manager

STARTED = "sleeper task started"


def sleeper_task(host: Any, ctx: CronContext) -> None:
    host.activity.log(f"{STARTED} by pid {os.getpid()}")
    barrier = os.environ.get("HELPER_BARRIER")
    deadline = time.monotonic() + float(os.environ.get("HELPER_SLEEP", "1"))
    while time.monotonic() < deadline:
        if barrier and Path(barrier).exists():
            break
        time.sleep(0.05)
    ctx.counters["slept"] = 1


class Sleeper:
    @hookimpl
    def addon_config(self) -> AddonConfig:
        return AddonConfig(name="Sleeper", version="1.0")

    @hookimpl
    def register_cron_tasks(self, host: Any) -> list[CronTaskSpec]:
        return [CronTaskSpec(name="SolusioAutomation", run=lambda ctx: sleeper_task(host, ctx), module="sleeper")]


def make_host(config: HostConfig) -> Host:
    return Host(config, pm=get_plugin_manager(autoload=False, addons=[("sleeper", Sleeper())]))


if __name__ == "__main__":
    main(sys.argv[1:], obj=make_host, prog_name="hostsim")
