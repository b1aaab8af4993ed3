"""The demo's servers on loopback: the SolusIO simulator, run in this process, and the host's
web server (bound by :class:`hostsim.addon_api.instance.WebServer` before anything else
happens, so a busy ``--port`` is found before an earlier demo is deleted).

The servers are the only part of the demo other processes can reach: both listen on 127.0.0.1
only, and both stop with the demo unless ``--serve``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hostsim.addon_api.instance import WebServer

if TYPE_CHECKING:
    from solusio_sim import SimServer


def bind_web(port: int) -> WebServer:
    """The host's web server listening on 127.0.0.1:``port`` (0: a free port), not serving yet.
    ``PortUnavailable`` when the port is taken."""
    return WebServer.bind(port)


def start_simulator(now: datetime) -> "SimServer":
    """The SolusIO simulator on a free loopback port, seeded with the demo catalogue (two limit
    groups, three plans), its clock at ``now``."""
    from solusio_sim import SimServer
    from solusio_sim.seed import seed_demo

    sim = SimServer()
    sim.start()
    seed_demo(sim.state)
    sim.state.clock.set(now)
    return sim


def catalogue(sim: "SimServer") -> str:
    """The simulator's limit groups and plans, in one line."""
    groups = ", ".join(g.name for g in sim.state.limit_groups.values())
    plans = ", ".join(f"{p.name} ({p.tokens_per_hour} tokens/h, cap {p.tokens_per_month}/month)"
                      for p in sim.state.plans.values())
    return f"limit groups: {groups}; plans: {plans}"


def solusio_status(sim: "SimServer", user_id: int) -> str:
    """A SolusIO user's status and its servers' states, as the simulator has them."""
    user = sim.state.get_user(user_id)
    servers = ", ".join(f"{s.name} {s.status}{' (suspended)' if s.is_suspended else ''}"
                        for s in sim.state.user_servers(user_id))
    return f"SolusIO user #{user.id} <{user.email}> is {user.status}; servers: {servers or 'none'}"
