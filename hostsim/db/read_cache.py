"""Reads kept for one unit of work (a web request), for data a page reads many times.

A page asks for the General Settings and an addon's settings several times (the layout, the
session, each hook); inside a scope (``begin``/``end``, opened per web request) each is read
from the database once. A write through the owning service forgets the entry at once, so the
same request sees its own change; another process's change is seen by the next request. Outside
a scope (the command line, cron) nothing is cached.
"""

from __future__ import annotations

import copy
from contextvars import ContextVar, Token
from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")

_scope: ContextVar[dict[Hashable, Any] | None] = ContextVar("hostsim_read_cache", default=None)


def begin() -> Token[dict[Hashable, Any] | None]:
    return _scope.set({})


def end(token: Token[dict[Hashable, Any] | None]) -> None:
    _scope.reset(token)


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, once per scope for ``key``; a copy each time (callers may change what they get)."""
    entries = _scope.get()
    if entries is None:
        return load()
    if key not in entries:
        entries[key] = load()
    return copy.copy(entries[key])


def forget(predicate: Callable[[Hashable], bool]) -> None:
    """Drop the entries whose key matches (after a write to what they hold)."""
    entries = _scope.get()
    if entries:
        for key in [k for k in entries if predicate(k)]:
            del entries[key]
