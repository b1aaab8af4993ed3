"""``SimServer``: the simulator served over real HTTP on a loopback port, in a thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SimApp
from .faults import Faults
from .reqlog import LoggedRequest
from .state import SimState


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 (keep-alive) and no access log on stderr."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def build_http_server(app: SimApp, host: str, port: int) -> BaseWSGIServer:
    """A threaded werkzeug server: one thread per connection, keep-alive."""
    server = make_server(host, port, app, threaded=True, request_handler=_Handler)
    server.daemon_threads = True
    return server


class SimServer:
    """Run a simulator in a background thread::

        with SimServer() as sim:
            requests.get(sim.url + "/api/v1/account",
                         headers={"Authorization": f"Bearer {sim.admin_token}"})
    """

    def __init__(self, state: SimState | None = None, page_size: int = 15,
                 host: str = "127.0.0.1", port: int = 0, admin_token: str | None = None,
                 faults: Faults | None = None) -> None:
        if state is None:
            state = SimState(admin_token=admin_token)
        elif admin_token is not None:
            state.create_token(state.admin_user_id, admin=True, token=admin_token)
        self.state = state
        self.admin_token: str = admin_token or state.admin_token
        self.app = SimApp(state, page_size, faults)
        self.faults: Faults = self.app.faults
        self._host, self._port = host, port
        self._http: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "SimServer":
        if self._http is not None:
            return self
        self._http = build_http_server(self.app, self._host, self._port)
        self._thread = threading.Thread(target=self._http.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="solusio-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is None:
            return
        self.app.stopping.set()
        self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._http = None

    def __enter__(self) -> "SimServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- accessors
    @property
    def port(self) -> int:
        assert self._http is not None, "server not started"
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        """The installation URL (no trailing slash); the API is at ``url + "/api/v1/"``."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1/"

    @property
    def page_size(self) -> int:
        return self.app.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.app.page_size = value

    @property
    def requests(self) -> list[LoggedRequest]:
        return self.app.log.list()

    def clear_requests(self) -> None:
        self.app.log.clear()
