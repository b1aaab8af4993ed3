"""Page through a query: ``?page=N`` with a fixed page size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
PER_PAGE = 25


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def args(self, page: int) -> dict[str, Any]:
        """The current query arguments with ``page`` replaced (for pagination links)."""
        values: dict[str, Any] = request.args.to_dict()
        values["page"] = page
        return values


def requested_page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def paginate(session: Session, stmt: Select[Any], *, per_page: int = PER_PAGE) -> Page[Any]:
    """One page of the entities ``stmt`` selects, ``?page=N`` clamped to the pages there are."""
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    page = min(requested_page(), max(1, -(-total // per_page)))
    query = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(session.scalars(query))
    return Page(items=items, page=page, per_page=per_page, total=total)
