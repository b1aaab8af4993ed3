from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from solusio_sim import SimServer, SimState
from solusio_sim.seed import seed_demo


class Api:
    """A tiny client: ``api.get("users", params=...)`` against ``sim.url/api/v1/``."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"})

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.base + path, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, **kw: object) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: object) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: object) -> requests.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: object) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: object) -> requests.Response:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    state = SimState()
    seed_demo(state)
    with SimServer(state=state) as server:
        yield server


@pytest.fixture
def api(sim: SimServer) -> Api:
    return Api(sim.api_url, sim.admin_token)
