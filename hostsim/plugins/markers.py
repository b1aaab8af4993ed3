"""The two pluggy markers of the project ``hostsim``.

Addons decorate their hook functions with ``@hookimpl`` (optionally ``@hookimpl(priority=5)``).
Priorities mirror WHMCS's ``add_hook(name, priority, fn)``: lower runs first; the default is 1.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar, overload

import pluggy

PROJECT = "hostsim"
DEFAULT_PRIORITY = 1
PRIORITY_ATTR = "hostsim_priority"

hookspec = pluggy.HookspecMarker(PROJECT)
_hookimpl = pluggy.HookimplMarker(PROJECT)

F = TypeVar("F", bound=Callable[..., Any])


@overload
def hookimpl(function: F) -> F: ...
@overload
def hookimpl(*, priority: int = DEFAULT_PRIORITY, **options: Any) -> Callable[[F], F]: ...


def hookimpl(function: F | None = None, *, priority: int = DEFAULT_PRIORITY, **options: Any) -> Any:
    def mark(fn: F) -> F:
        setattr(fn, PRIORITY_ATTR, priority)
        return _hookimpl(fn, **options)

    return mark(function) if function is not None else mark


def priority_of(fn: Callable[..., Any]) -> int:
    return getattr(fn, PRIORITY_ATTR, DEFAULT_PRIORITY)
