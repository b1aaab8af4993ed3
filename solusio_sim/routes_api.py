"""The SolusIO API routes: account, limit groups, users (tokens, usage), servers, settings.

Plans (priced through the billing integration) are in ``routes_billing``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import serialize, validation
from .clock import iso, parse_rfc3339
from .web import ApiError, Handlers, json_response, validation_failed

RULES = [
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
    Rule("/api/v1/settings", endpoint="settings", methods=["GET", "PATCH"]),
]
#: endpoints a non-admin token may call; every other API endpoint needs an admin token
NON_ADMIN_OK = {"account"}


class ApiRoutes(Handlers):
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
                raise validation_failed(errors)
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
            # Both accept a partial body of email / status / password / limit_group_id /
            # billing_user_id / roles; an email another user has is a 422 on either.
            validation.check_email(state, body, errors, required=False, own_user_id=user_id)
            validation.check_user_fields(state, body, errors, creating=False)
            if errors:
                raise validation_failed(errors)
            fields: dict[str, Any] = {k: body[k] for k in ("password", "status", "limit_group_id",
                                                           "billing_user_id") if k in body}
            if "email" in body:
                fields["email"] = body["email"]
            if "roles" in body:
                fields["role_ids"] = validation.role_ids(body["roles"])
            state.update_user(user_id, **fields)
            return json_response({"data": self._user_json(user)})

    def on_user_tokens(self, request: Request, user_id: int, token: Any) -> Response:
        body = self._body(request)
        one_time = body.get("is_one_time", False)
        if not isinstance(one_time, bool):
            raise validation_failed({"is_one_time": ["The is one time field must be true or "
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
            raise validation_failed(errors)
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
                    raise validation_failed(
                        {"filter.user_id": ["The filter.user_id must be an integer."]}) from None
            with state.lock:
                servers = state.list_servers(user_id)
                return self._page(request, servers, lambda s: serialize.server(state, s))
        body = self._body(request)
        with state.lock:
            errors: dict[str, list[str]] = {}
            validation.check_server(state, body, errors)
            if errors:
                raise validation_failed(errors)
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

    def on_settings(self, request: Request, token: Any) -> Response:
        if request.method == "GET":
            return json_response({"data": self.state.get_settings()})
        return json_response({"data": self.state.patch_settings(self._body(request))})
