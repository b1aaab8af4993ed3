"""Pages of a query: the one paging arithmetic of the host and its addons (web-free)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
PER_PAGE = 25


@dataclass
class Page(Generic[T]):
    """One page of results: ``items``, its number (from 1), the page size and the total count."""

    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def args(self, page: int) -> dict[str, Any]:
        """The current request's query arguments with ``page`` replaced (for pagination links)."""
        from flask import request  # only templates call this, inside a request

        values: dict[str, Any] = request.args.to_dict()
        values["page"] = page
        return values


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """``page`` moved into the pages there are (1 when there are none)."""
    return min(max(1, page), page_count(total, per_page))


def query_page(session: Session, stmt: Select[Any], page: int, *, per_page: int = PER_PAGE) -> Page[Any]:
    """Page ``page`` (clamped) of the entities ``stmt`` selects."""
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    page = clamp_page(page, total, per_page)
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)
