"""``?page=N`` for admin lists; the paging itself is :mod:`hostsim.db.paging`."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import Select
from sqlalchemy.orm import Session

from hostsim.db.paging import PER_PAGE, Page, query_page


def requested_page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def paginate(session: Session, stmt: Select[Any], *, per_page: int = PER_PAGE) -> Page[Any]:
    """One page of the entities ``stmt`` selects, ``?page=N`` clamped to the pages there are."""
    return query_page(session, stmt, requested_page(), per_page=per_page)
