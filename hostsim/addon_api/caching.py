"""Reads an addon keeps between web requests, correct across processes (``cached_read``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

from hostsim.db import read_cache

if TYPE_CHECKING:
    from hostsim.addon_api.host import Host

T = TypeVar("T")


def cached_read(host: "Host", key: str, load: Callable[[], T]) -> T:
    """``load()``'s result, kept between web requests until any process writes to a watched table
    (the host's settings, addon and currency tables, and those given to :func:`watch_tables`);
    within one request it is read once. Outside a web request (command line, cron) ``load()``
    runs every time. Each call returns a shallow copy: keep what ``load`` returns immutable below
    its top level (tuples, frozen dataclasses)."""
    core = host._core
    return read_cache.cached(core.engine, ("addon", id(core), key), load)


def watch_tables(*tables: str) -> None:
    """Writes to these tables (by name) make every process load its cached reads again. Call it
    when the addon's package is imported (its models module), so that every process that can
    write the tables, a command or cron as well as the web server, counts their writes."""
    read_cache.watch(*tables)
