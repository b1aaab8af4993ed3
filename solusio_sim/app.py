"""The WSGI application: SolusIO API under ``/api/v1/``, browser pages, ``/_sim`` control.

``SimApp`` does what every request shares (fault injection, routing, authentication, errors,
the request log); the handlers live in ``routes_api`` (users, servers, usage, settings),
``routes_billing`` (plans priced by the billing host, the SSO pages) and ``routes_control``
(``/_sim``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from . import routes_api, routes_billing, routes_control
from .clock import iso
from .faults import Faults
from .reqlog import LoggedRequest, RequestLog
from .routes_api import ApiRoutes
from .routes_billing import BillingRoutes
from .routes_control import ControlRoutes
from .state import NotFound, Refused, SimState
from .web import API_PREFIX, ApiError, html_page, json_response

logger = logging.getLogger(__name__)

_ROUTES = [*routes_api.RULES, *routes_billing.RULES, *routes_control.RULES]
_PUBLIC = routes_billing.PUBLIC
_NON_ADMIN_OK = routes_api.NON_ADMIN_OK


class DropConnection(Exception):
    """Raised to close the client's socket without any answer."""


class SimApp(ApiRoutes, BillingRoutes, ControlRoutes):
    """A WSGI callable. ``state``, ``faults``, ``log`` and ``page_size`` may be changed live."""

    def __init__(self, state: SimState | None = None, page_size: int = 15,
                 faults: Faults | None = None, log: RequestLog | None = None) -> None:
        self.state = state or SimState()
        self.page_size = page_size
        self.faults = faults or Faults()
        self.log = log or RequestLog()
        self.stopping = threading.Event()  # set on shutdown: wakes hanging requests
        # the injected latency sleeps through this (tests record it instead of waiting)
        self.sleep: Callable[[float], None] = time.sleep
        self.url_map = Map([rule.empty() for rule in _ROUTES], strict_slashes=False)

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        to_log = not request.path.startswith("/_sim/")
        status: int | None = None
        try:
            decision = self._faulted(request) if request.path.startswith(API_PREFIX) else None
            response = decision if isinstance(decision, Response) else self.dispatch(request)
            status = response.status_code
            if decision is DROP_AFTER_PROCESSING:
                raise DropConnection()
            return response(environ, start_response)
        except DropConnection:
            # Logged before the socket closes, as an answered request is logged before its
            # answer leaves: a client retrying at once finds its attempts logged in order.
            if to_log:
                to_log = False
                self._log_request(request, status, started)
            _drop(environ)
            raise AssertionError("unreachable")
        finally:
            if to_log:
                self._log_request(request, status, started)

    def _log_request(self, request: Request, status: int | None, started: float) -> None:
        duration_ms = round((time.monotonic() - started) * 1000, 3)
        self.log.add(LoggedRequest(request.method, request.path, request.query_string.decode("latin-1"),
                                   status, iso(self.state.clock.now()) or "", duration_ms))
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s (%.1f ms)", request.method, request.path,
                         "dropped" if status is None else status, duration_ms)

    def _faulted(self, request: Request) -> Response | object | None:
        """An error response, ``DROP_AFTER_PROCESSING``, or None to serve the request."""
        faults = self.faults
        if faults.latency_ms > 0:
            self.sleep(faults.latency_ms / 1000)
        faults.wait_if_held(request.path[len(API_PREFIX):], self.stopping)
        decision = faults.decide(request.method, request.path[len(API_PREFIX):])
        if decision.hang_seconds > 0:
            self.stopping.wait(decision.hang_seconds)
        if decision.drop:
            raise DropConnection()
        if decision.drop_after_processing:
            return DROP_AFTER_PROCESSING
        if decision.status is not None:
            headers = {"Retry-After": str(decision.retry_after)} \
                if decision.retry_after is not None else None
            message = "Too Many Attempts." if decision.status == 429 else "Server Error"
            return json_response({"message": message}, decision.status, headers)
        return None

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        is_api = request.path.startswith(API_PREFIX) or request.path.startswith("/_sim/")
        try:
            endpoint, matched = adapter.match()
            args: dict[str, Any] = dict(matched)
        except RouteNotFound:
            if is_api:
                return json_response({"message": "Not found."}, 404)
            return html_page("Not found", "Not found.", 404)
        except MethodNotAllowed:
            return json_response({"message": "The method is not supported for this route."},
                                 405)
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return exc.get_response(request.environ)  # type: ignore[return-value]
        handler = getattr(self, f"on_{endpoint}")
        try:
            if endpoint not in _PUBLIC:
                args["token"] = self._authorize(request, endpoint)
            return handler(request, **args)
        except ApiError as exc:
            body: dict[str, Any] = {"message": exc.message}
            if exc.errors is not None:
                body["errors"] = exc.errors
            return json_response(body, exc.status, exc.headers)
        except NotFound as exc:
            return json_response({"message": str(exc)}, 404)
        except Refused as exc:
            errors = {exc.field: [exc.message]} if exc.field else None
            raise_body: dict[str, Any] = {"message": exc.message}
            if errors:
                raise_body["errors"] = errors
            return json_response(raise_body, 422)
        except Exception:  # noqa: BLE001 - answer like Laravel, keep the traceback visible
            logger.exception("simulator error on %s %s", request.method, request.path)
            return json_response({"message": "Server Error"}, 500)

    def _authorize(self, request: Request, endpoint: str) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = self.state.authenticate(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(401, "Unauthenticated.")
        if endpoint not in _NON_ADMIN_OK and not token.is_admin:
            raise ApiError(403, "This action is unauthorized.")
        return token


DROP_AFTER_PROCESSING = object()


def _drop(environ: dict[str, Any]) -> None:
    """Close the client connection without an answer.

    With werkzeug's server the socket is in the environ: shut it down, then raise a
    ``ConnectionAbortedError``, which werkzeug treats as a dropped connection (no 500 sent).
    """
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("connection dropped by fault injection")


def create_app(state: SimState | None = None, page_size: int = 15,
               faults: Faults | None = None) -> SimApp:
    return SimApp(state, page_size, faults)
