"""``SimServer``: the simulator served over real HTTP on a loopback port, in a thread."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SimApp
from .faults import Faults
from .reqlog import LoggedRequest
from .state import SimState

log = logging.getLogger(__name__)


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, and no access log on stderr.

    Werkzeug's own ``run_wsgi`` closes every connection and then waits 10 ms for stray request
    bytes, which would make each simulated API call cost a TCP handshake and 10 ms more than a
    real panel. This one reads the request body up front (so the stream stays aligned for the
    next request on the connection), buffers the answer and sends it with a Content-Length.
    A ``ConnectionAbortedError`` from the application (fault injection) drops the connection
    without an answer.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold the body back ~40 ms on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        if environ.get("wsgi.input_terminated"):  # a chunked request body: no reuse after it
            self.close_connection = True
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        try:
            result = self.server.app(environ, start_response)  # type: ignore[attr-defined]
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except ConnectionAbortedError:
            self.close_connection = True
            return
        except Exception:  # an unexpected bug: a 500, not a hung client
            log.exception("simulator error on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            answer = {"status": "500 INTERNAL SERVER ERROR", "headers": [("Content-Type", "text/plain")]}
            body = b"internal error"
        code, _, reason = answer["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in answer["headers"]:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if environ["REQUEST_METHOD"] != "HEAD":
            self.wfile.write(body)


def build_http_server(app: SimApp, host: str, port: int) -> BaseWSGIServer:
    """A threaded werkzeug server: one thread per connection, keep-alive."""
    server = make_server(host, port, app, threaded=True, request_handler=_Handler)
    server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadingMixIn's, set by threaded=True
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

    def wait_for_requests(self, predicate: Callable[[list[LoggedRequest]], bool], timeout: float = 5.0) -> bool:
        """Wait until ``predicate(sim.requests)`` holds (see ``RequestLog.wait_for``)."""
        return self.app.log.wait_for(predicate, timeout)
