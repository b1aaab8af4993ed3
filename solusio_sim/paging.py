"""Laravel-style paginated list envelopes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.wrappers import Request

T = TypeVar("T")


def page_number(request: Request) -> int:
    """``?page=N``; anything missing or invalid means page 1 (as Laravel does)."""
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return page if page >= 1 else 1


def paginate(request: Request, items: Sequence[T], per_page: int,
             render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    total = len(items)
    last_page = max(1, math.ceil(total / per_page))
    page = page_number(request)
    offset = (page - 1) * per_page
    chunk = items[offset:offset + per_page]
    path = request.base_url
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]

    def link(n: int) -> str:
        return f"{path}?{urlencode(kept + [('page', str(n))])}"

    return {
        "data": [render(item) for item in chunk],
        "links": {"first": link(1), "last": link(last_page),
                  "prev": link(page - 1) if page > 1 else None,
                  "next": link(page + 1) if page < last_page else None},
        "meta": {"current_page": page, "from": offset + 1 if chunk else None,
                 "last_page": last_page, "path": path, "per_page": per_page,
                 "to": offset + len(chunk) if chunk else None, "total": total},
    }
