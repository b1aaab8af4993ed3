"""Enrolment rows in keyset pages by client id, one session per page: how a run streams tens of
thousands of clients (to bill, or to check for overdue invoices) without loading them at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

from solusio_addon.db.models import Enrolment

if TYPE_CHECKING:
    from hostsim.addon_api import Host

PAGE_SIZE = 1000  # clients read per query


def enrolment_pages(host: "Host", query: Any) -> Iterator[Sequence[Any]]:
    """``query``'s rows in keyset pages by client id (its first column), a session per page."""
    last_id = 0
    while True:
        with host.sessions() as s:
            rows = s.execute(query.where(Enrolment.client_id > last_id)
                             .order_by(Enrolment.client_id).limit(PAGE_SIZE)).all()
        if rows:
            yield rows
        if len(rows) < PAGE_SIZE:
            return
        last_id = rows[-1][0]
