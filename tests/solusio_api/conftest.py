"""Fixtures of the SolusIO API client tests."""

from __future__ import annotations

import pytest

from solusio_addon.solusio_api import SolusioClient
from solusio_sim import SimServer  # noqa: E402


@pytest.fixture
def sim():
    with SimServer(page_size=15) as server:
        yield server


@pytest.fixture
def make_client(sim):
    """A client of the simulator; fast retries by default, every knob overridable."""
    made: list[SolusioClient] = []

    def make(token: str | None = None, **kw) -> SolusioClient:
        kw.setdefault("retries", 3)
        kw.setdefault("backoff", 0.01)
        kw.setdefault("max_retry_after", 3)
        kw.setdefault("read_timeout", 5)
        c = SolusioClient(sim.url, token or sim.admin_token, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(make_client):
    return make_client()
