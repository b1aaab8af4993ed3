"""``hostsim serve``'s loopback check, with the cases the simulator's copy is tested with."""

from __future__ import annotations

import pytest

from hostsim.cli.serve import is_loopback
from tests.loopback_cases import LOOPBACK_CASES


@pytest.mark.parametrize("host, loopback", LOOPBACK_CASES)
def test_only_loopback_hosts_are_served_without_public(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_simulators_copy_is_the_same_code() -> None:
    import inspect

    from solusio_sim.cli import is_loopback as simulators

    assert inspect.getsource(simulators) == inspect.getsource(is_loopback)
