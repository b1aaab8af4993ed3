"""Reading a paged list with the pages after the first fetched concurrently.

The server picks the page size (contract "Envelopes and paging"), so nothing is known before page
1; its ``meta.last_page`` then tells how many pages there are, and pages 2..last are fetched
through a bounded thread pool (``workers`` requests in flight at most, as the usage fetch does).
Items are yielded in page order, and each page costs exactly one request (plus the transport's
own retries of a failed attempt).

The list may change while it is read (offset paging): a user created meanwhile can push the last
page further (the pages the newer ``last_page`` names are read after the known ones), a user
deleted can shift another one onto a page already read (it is then seen twice: an item whose
``id`` was already yielded is skipped). A user shifted onto an earlier page can be missed, as in
any offset-paged read; the next pass sees it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from .errors import SolusioBadResponse


class _Requester(Protocol):
    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any: ...


def _page(transport: _Requester, path: str, params: Mapping[str, Any], page: int) -> dict[str, Any]:
    """One page's payload, checked: a list in ``data``, and the page asked for."""
    payload = transport.request("GET", path, params={**params, "page": page})
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise SolusioBadResponse(f"SolusIO answered GET {path} without a list in \"data\".")
    meta = payload.get("meta")
    current = meta.get("current_page") if isinstance(meta, dict) else None
    if isinstance(current, int) and current != page:
        raise SolusioBadResponse(f"SolusIO answered page {current} when asked for page {page} of {path}.")
    return payload


def _last_page(payload: dict[str, Any]) -> int | None:
    """``meta.last_page`` when the payload is paginated that way; None otherwise."""
    meta = payload.get("meta")
    last = meta.get("last_page") if isinstance(meta, dict) else None
    return last if isinstance(last, int) and not isinstance(last, bool) else None


def read_pages_concurrently(transport: _Requester, path: str, params: Mapping[str, Any] | None = None, *,
                            workers: int = 32, on_page: Callable[[int], None] | None = None,
                            key: str = "id") -> Iterator[dict[str, Any]]:
    """Yield every item of a paged ``GET path``, page 1 first, then pages 2..last concurrently.

    :param transport: what sends one request and returns the decoded body (thread-safe: the
        client's transport is, its session pool has ``workers`` connections).
    :param params: query parameters sent with every page (filters, already ``filter[...]``).
    :param workers: at most this many page requests in flight; 1 reads one page at a time.
    :param on_page: called with each page's number once its items are about to be yielded, in
        page order.
    :param key: the field that identifies an item; an item whose key was yielded already (the
        list shifted between pages) is skipped. Items without it are always yielded.
    :raises SolusioError: a page failed after the transport's retries; the pages not yet
        fetched are cancelled, nothing more is yielded.
    """
    base = dict(params or {})
    seen: set[Any] = set()

    def emit(page: int, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if on_page is not None:
            on_page(page)
        for item in payload["data"]:
            ident = item.get(key) if isinstance(item, dict) else None
            if ident is not None:
                if ident in seen:
                    continue
                seen.add(ident)
            yield item

    first = _page(transport, path, base, 1)
    yield from emit(1, first)
    last = _last_page(first)
    if last is None or last <= 1 or not first["data"]:
        return  # one page, or not paginated by meta (everything came at once)
    window = max(1, workers)
    next_page, known_last = 2, last
    with ThreadPoolExecutor(max_workers=min(window, last - 1), thread_name_prefix="solusio-pages") as pool:
        pending: deque[tuple[int, Future[dict[str, Any]]]] = deque()
        try:
            while pending or next_page <= known_last:
                # keep up to 2 x workers pages queued, so results stay bounded in memory
                while next_page <= known_last and len(pending) < 2 * window:
                    pending.append((next_page, pool.submit(_page, transport, path, base, next_page)))
                    next_page += 1
                page, future = pending.popleft()
                payload = future.result()
                yield from emit(page, payload)
                newer = _last_page(payload)
                if newer is not None and newer > known_last:
                    known_last = newer  # users were created while paging: read the new pages too
        finally:
            for _, future in pending:
                future.cancel()
