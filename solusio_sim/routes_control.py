"""``/_sim``: the simulator's control API (state, faults, clock, request log, seeding); admin token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .clock import iso, parse_rfc3339
from .state import NotFound, Refused
from .web import ApiError, Handlers, json_response

RULES = [
    Rule("/_sim/state", endpoint="sim_state", methods=["GET"]),
    Rule("/_sim/faults", endpoint="sim_faults", methods=["GET", "POST"]),
    Rule("/_sim/clock", endpoint="sim_clock", methods=["GET", "POST"]),
    Rule("/_sim/requests", endpoint="sim_requests", methods=["GET", "DELETE"]),
    Rule("/_sim/seed", endpoint="sim_seed", methods=["POST"]),
]


class ControlRoutes(Handlers):
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
