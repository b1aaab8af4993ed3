"""What every route module shares: JSON/HTML answers, API errors, and the handlers' base class."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from . import serialize
from .faults import Faults
from .paging import paginate
from .reqlog import RequestLog
from .state import SimState

API_PREFIX = "/api/v1/"


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers,
                    content_type="application/json")


def html_page(title: str, body: str, status: int = 200) -> Response:
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1><p>{body}</p></body></html>")
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def validation_failed(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(422, "The given data was invalid.", errors)


class Handlers:
    """Base of the route classes that ``SimApp`` combines: the state they share, and helpers.

    A handler is ``on_<endpoint>(request, **url_args, token=...)`` and answers a ``Response``;
    it may raise ``ApiError``, ``state.NotFound`` or ``state.Refused`` (``SimApp.dispatch``
    turns them into Laravel-shaped JSON errors).
    """

    state: SimState
    page_size: int
    faults: Faults
    log: RequestLog

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
            raise validation_failed({"body": ["The body must be a JSON object."]})
        return body

    def _page(self, request: Request, items: list[Any],
              render: Callable[[Any], dict[str, Any]]) -> Response:
        return json_response(paginate(request, items, self.page_size, render))

    def _user_json(self, user: Any) -> dict[str, Any]:
        return serialize.user(self.state, user)
