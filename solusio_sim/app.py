"""The WSGI application: SolusIO API under ``/api/v1/``, browser pages, ``/_sim`` control."""

from __future__ import annotations

import html
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import billing, serialize, validation
from .clock import iso, parse_rfc3339
from .faults import Faults
from .paging import paginate
from .reqlog import LoggedRequest, RequestLog
from .state import NotFound, Refused, SimState

API_PREFIX = "/api/v1/"
SESSION_COOKIE = "solusio_session"
INVALID_LINK = "This login link is invalid or has already been used"

# endpoint name -> needs an admin token; everything but `account` does.
_ROUTES = [
    Rule("/api/v1/account", endpoint="account", methods=["GET"]),
    Rule("/api/v1/limit_groups", endpoint="limit_groups", methods=["GET"]),
    Rule("/api/v1/users", endpoint="users", methods=["GET", "POST"]),
    Rule("/api/v1/users/<int:user_id>", endpoint="user", methods=["GET", "PUT", "PATCH", "DELETE"]),
    Rule("/api/v1/users/<int:user_id>/tokens", endpoint="user_tokens", methods=["POST"]),
    Rule("/api/v1/users/<int:user_id>/usage", endpoint="user_usage", methods=["GET"]),
    Rule("/api/v1/servers", endpoint="servers", methods=["GET", "POST"]),
    Rule("/api/v1/servers/<int:server_id>", endpoint="server", methods=["GET", "DELETE"]),
    Rule("/api/v1/servers/<int:server_id>/<any(start, stop):action>", endpoint="server_action",
         methods=["POST"]),
    Rule("/api/v1/plans", endpoint="plans", methods=["GET"]),
    Rule("/api/v1/plans/<int:plan_id>", endpoint="plan", methods=["GET"]),
    Rule("/api/v1/settings", endpoint="settings", methods=["GET", "PATCH"]),
    Rule("/auth/by-token", endpoint="auth_by_token", methods=["GET"]),
    Rule("/billing/go", endpoint="billing_go", methods=["GET"]),
    Rule("/_sim/state", endpoint="sim_state", methods=["GET"]),
    Rule("/_sim/faults", endpoint="sim_faults", methods=["GET", "POST"]),
    Rule("/_sim/clock", endpoint="sim_clock", methods=["GET", "POST"]),
    Rule("/_sim/requests", endpoint="sim_requests", methods=["GET", "DELETE"]),
    Rule("/_sim/seed", endpoint="sim_seed", methods=["POST"]),
]
_PUBLIC = {"auth_by_token", "billing_go"}
_NON_ADMIN_OK = {"account"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers


class DropConnection(Exception):
    """Raised to close the client's socket without any answer."""


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers,
                    content_type="application/json")


def html_page(title: str, body: str, status: int = 200) -> Response:
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1><p>{body}</p></body></html>")
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def _validation_failed(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(422, "The given data was invalid.", errors)


class SimApp:
    """A WSGI callable. ``state``, ``faults``, ``log`` and ``page_size`` may be changed live."""

    def __init__(self, state: SimState | None = None, page_size: int = 15,
                 faults: Faults | None = None, log: RequestLog | None = None) -> None:
        self.state = state or SimState()
        self.page_size = page_size
        self.faults = faults or Faults()
        self.log = log or RequestLog()
        self.stopping = threading.Event()  # set on shutdown: wakes hanging requests
        self.url_map = Map([rule.empty() for rule in _ROUTES], strict_slashes=False)

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        path = request.path
        logged = not path.startswith("/_sim/")
        status: int | None = None
        try:
            decision = self._faulted(request) if path.startswith(API_PREFIX) else None
            response = decision if isinstance(decision, Response) else self.dispatch(request)
            status = response.status_code
            if decision is DROP_AFTER_PROCESSING:
                raise DropConnection()
            return response(environ, start_response)
        except DropConnection:
            _drop(environ)
            raise AssertionError("unreachable")
        finally:
            if logged:
                self.log.add(LoggedRequest(request.method, path, request.query_string.decode(
                    "latin-1"), status, iso(self.state.clock.now()) or "",
                    round((time.monotonic() - started) * 1000, 3)))

    def _faulted(self, request: Request) -> Response | object | None:
        """An error response, ``DROP_AFTER_PROCESSING``, or None to serve the request."""
        faults = self.faults
        if faults.latency_ms > 0:
            time.sleep(faults.latency_ms / 1000)
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
            traceback.print_exc(file=sys.stderr)
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

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _validation_failed({"body": ["The body must be a JSON object."]})
        return body

    def _page(self, request: Request, items: list[Any],
              render: Callable[[Any], dict[str, Any]]) -> Response:
        return json_response(paginate(request, items, self.page_size, render))

    def _user_json(self, user: Any) -> dict[str, Any]:
        return serialize.user(self.state, user)

    # ------------------------------------------------------------------ API handlers
    def on_account(self, request: Request, token: Any) -> Response:
        with self.state.lock:
            return json_response({"data": self._user_json(self.state.get_user(token.user_id))})

    def on_limit_groups(self, request: Request, token: Any) -> Response:
        with self.state.lock:
            groups = list(self.state.limit_groups.values())
            return self._page(request, groups, serialize.limit_group)

    def on_users(self, request: Request, token: Any) -> Response:
        state = self.state
        if request.method == "GET":
            users = state.search_users(request.args.get("filter[search]"))
            with state.lock:
                return self._page(request, users, self._user_json)
        body = self._body(request)
        with state.lock:
            errors: dict[str, list[str]] = {}
            validation.check_email(state, body, errors, required=True)
            validation.check_user_fields(state, body, errors, creating=True)
            if errors:
                raise _validation_failed(errors)
            roles = validation.role_ids(body["roles"]) if "roles" in body else None
            user = state.add_user(body["email"], body["password"], body.get("status", "active"),
                                  body.get("billing_user_id"), body.get("limit_group_id"),
                                  roles)
            return json_response({"data": self._user_json(user)}, 201)

    def on_user(self, request: Request, user_id: int, token: Any) -> Response:
        state = self.state
        if request.method == "DELETE":
            state.delete_user(user_id)
            return Response(status=204)
        with state.lock:
            user = state.get_user(user_id)
            if request.method == "GET":
                return json_response({"data": self._user_json(user)})
            body = self._body(request)
            errors: dict[str, list[str]] = {}
            # PUT: status / password / limit_group_id / billing_user_id / roles (email is
            # changed with PATCH, per the contract); PATCH accepts all of them plus email.
            if request.method == "PATCH":
                validation.check_email(state, body, errors, required=False, own_user_id=user_id)
            validation.check_user_fields(state, body, errors, creating=False)
            if errors:
                raise _validation_failed(errors)
            fields: dict[str, Any] = {k: body[k] for k in ("password", "status", "limit_group_id",
                                                           "billing_user_id") if k in body}
            if request.method == "PATCH" and "email" in body:
                fields["email"] = body["email"]
            if "roles" in body:
                fields["role_ids"] = validation.role_ids(body["roles"])
            state.update_user(user_id, **fields)
            return json_response({"data": self._user_json(user)})

    def on_user_tokens(self, request: Request, user_id: int, token: Any) -> Response:
        body = self._body(request)
        one_time = body.get("is_one_time", False)
        if not isinstance(one_time, bool):
            raise _validation_failed({"is_one_time": ["The is one time field must be true or "
                                                      "false."]})
        with self.state.lock:
            self.state.get_user(user_id)
            value = self.state.create_token(user_id, admin=False, one_time=one_time)
            tok = self.state.tokens[value]
            return json_response({"data": {"id": tok.id, "access_token": value,
                                           "token_type": "Bearer", "is_one_time": one_time,
                                           "user_id": user_id,
                                           "created_at": iso(tok.created_at)}}, 201)

    def on_user_usage(self, request: Request, user_id: int, token: Any) -> Response:
        errors: dict[str, list[str]] = {}
        bounds = {}
        for name in ("from", "to"):
            raw = request.args.get(f"filter[{name}]")
            if not raw:
                errors[f"filter.{name}"] = [f"The filter.{name} field is required."]
                continue
            try:
                bounds[name] = parse_rfc3339(raw)
            except ValueError:
                errors[f"filter.{name}"] = [f"The filter.{name} is not a valid date."]
        if not errors and bounds["from"] >= bounds["to"]:
            errors["filter.to"] = ["The filter.to must be a date after filter.from."]
        self.state.get_user(user_id)
        if errors:
            raise _validation_failed(errors)
        return json_response({"data": self.state.usage(user_id, bounds["from"], bounds["to"])})

    def on_servers(self, request: Request, token: Any) -> Response:
        state = self.state
        if request.method == "GET":
            raw = request.args.get("filter[user_id]")
            user_id: int | None = None
            if raw:
                try:
                    user_id = int(raw)
                except ValueError:
                    raise _validation_failed(
                        {"filter.user_id": ["The filter.user_id must be an integer."]}) from None
            with state.lock:
                servers = state.list_servers(user_id)
                return self._page(request, servers, lambda s: serialize.server(state, s))
        body = self._body(request)
        with state.lock:
            errors: dict[str, list[str]] = {}
            validation.check_server(state, body, errors)
            if errors:
                raise _validation_failed(errors)
            owner = state.get_user(body.get("user_id", token.user_id))
            if owner.status != "active":
                raise ApiError(422, f"The user is {owner.status} and cannot create new "
                                    f"servers.", {"user_id": [f"The user is {owner.status}."]})
            server = state.add_server(owner.id, body["plan_id"], body["name"].strip(),
                                      additional_ips=body.get("additional_ips", 0))
            return json_response({"data": serialize.server(state, server)}, 201)

    def on_server(self, request: Request, server_id: int, token: Any) -> Response:
        state = self.state
        with state.lock:
            if request.method == "DELETE":
                state.delete_server(server_id)
                return Response(status=204)
            return json_response({"data": serialize.server(state, state.get_server(server_id))})

    def on_server_action(self, request: Request, server_id: int, action: str,
                         token: Any) -> Response:
        state = self.state
        with state.lock:
            server = (state.start_server if action == "start" else state.stop_server)(server_id)
            return json_response({"data": serialize.server(state, server)})

    def _price_quote(self, request: Request) -> dict[str, Any] | None:
        """The token price for ``?billing_user_id=N`` from the billing host, or None."""
        raw = request.args.get("billing_user_id")
        driver = self.state.billing_driver()
        if not raw or driver is None:
            return None
        try:
            billing_user_id = int(raw)
        except ValueError:
            return None
        try:
            return billing.fetch_token_price(driver[0], driver[1], billing_user_id)
        except billing.BillingError:
            return None

    def on_plans(self, request: Request, token: Any) -> Response:
        quote = self._price_quote(request)
        with self.state.lock:
            plans = list(self.state.plans.values())
            return self._page(request, plans, lambda p: serialize.plan(
                p, billing.plan_price(p, quote) if quote else None))

    def on_plan(self, request: Request, plan_id: int, token: Any) -> Response:
        plan = self.state.get_plan(plan_id)
        quote = self._price_quote(request)
        return json_response({"data": serialize.plan(
            plan, billing.plan_price(plan, quote) if quote else None)})

    def on_settings(self, request: Request, token: Any) -> Response:
        if request.method == "GET":
            return json_response({"data": self.state.get_settings()})
        return json_response({"data": self.state.patch_settings(self._body(request))})

    # ------------------------------------------------------------------ browser pages
    def on_auth_by_token(self, request: Request) -> Response:
        user = self.state.consume_one_time_token(request.args.get("token", ""))
        if user is None:
            return html_page("Login failed", html.escape(INVALID_LINK), 401)
        response = html_page("SolusIO", f"Logged in as {html.escape(user.email)}")
        response.set_cookie(SESSION_COOKIE, self.state.open_session(user.id), httponly=True,
                            samesite="Lax", path="/")
        return response

    def on_billing_go(self, request: Request) -> Response:
        destination = request.args.get("destination", "home")
        if destination not in ("invoices", "home"):
            return html_page("Bad request", "Unknown destination.", 400)
        try:
            user = self.state.get_user(int(request.args.get("user_id", "")))
        except (ValueError, NotFound):
            return html_page("Not found", "Unknown user.", 404)
        driver = self.state.billing_driver()
        if driver is None:
            return html_page("Billing unavailable", "Billing integration is not configured.",
                             409)
        try:
            target = billing.sso_url(driver[0], driver[1], user.billing_user_id, destination)
        except billing.BillingError:
            return html_page("Billing unavailable",
                             "The billing portal could not be reached.", 502)
        return Response(status=302, headers={"Location": target})

    # ------------------------------------------------------------------ /_sim control
    def on_sim_state(self, request: Request, token: Any) -> Response:
        return json_response({"data": {**self.state.counts(), "requests_total": self.log.total,
                                       "now": iso(self.state.clock.now()),
                                       "page_size": self.page_size,
                                       "faults": self.faults.snapshot()}})

    def on_sim_faults(self, request: Request, token: Any) -> Response:
        if request.method == "POST":
            try:
                self.faults.configure(**self._body(request))
            except (ValueError, TypeError) as exc:
                raise ApiError(422, str(exc)) from None
        return json_response({"data": self.faults.snapshot()})

    def on_sim_clock(self, request: Request, token: Any) -> Response:
        if request.method == "POST":
            body = self._body(request)
            clock = self.state.clock
            try:
                if body.get("reset"):
                    clock.reset()
                if "set" in body:
                    clock.set(parse_rfc3339(str(body["set"])))
                if "advance_seconds" in body:
                    clock.advance(timedelta(seconds=float(body["advance_seconds"])))
            except (ValueError, TypeError) as exc:
                raise ApiError(422, str(exc)) from None
        return json_response({"data": {"now": iso(self.state.clock.now()),
                                       "frozen": self.state.clock.is_frozen}})

    def on_sim_requests(self, request: Request, token: Any) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return Response(status=204)
        return json_response({"data": [e.to_dict() for e in self.log.list()]})

    def on_sim_seed(self, request: Request, token: Any) -> Response:
        from .seed import seed_from_spec

        try:
            result = seed_from_spec(self.state, self._body(request))
        except (ValueError, TypeError, KeyError, Refused, NotFound) as exc:
            raise ApiError(422, str(exc)) from None
        return json_response({"data": result}, 201)


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
