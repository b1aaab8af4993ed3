"""Reads kept between web requests, for data every page reads and that rarely changes (the
General Settings, addon settings, the active addons, an addon's prices).

Correct across processes. The database holds one number, ``cache_generation.value``, and every
write to a *watched* table adds one to it inside the writing transaction: an engine event sees
each INSERT, UPDATE, DELETE (and TRUNCATE, DROP, ALTER) whoever issues it, the ORM, Core or
text, in any process that builds its engine with ``hostsim.db.engine.make_engine`` or a Host.
A web request (a scope: ``begin``/``end``) reads the number once, at its first cached read; an
entry loaded under another number is loaded again. So a change committed by any process is seen
by every process's next request, and one request works with one generation. An entry is never
labelled with a generation newer than the data it holds (the number is read before the load).

When this process's own transaction that wrote a watched table ends, this process's entries are
dropped and the current request reads the number again: the request that made a change sees it.
Outside a scope (the command line, cron) nothing is cached. Without the generation row (a
database not migrated yet, or its row removed) entries last one scope only.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import weakref
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, TypeVar

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

T = TypeVar("T")

TABLE = "cache_generation"
#: Tables whose writes make every process read its cached entries again. Addons add theirs
#: (``hostsim.addon_api.watch_tables``) when their package is imported.
WATCHED: set[str] = {"host_settings", "addon_settings", "addon_modules", "addon_access", "admin_roles",
                     "currencies"}

_WRITES = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+|IGNORE\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|"
                     r"TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+[`\"\[]?(\w+)",
                     re.IGNORECASE)
#: statement -> the tables it writes (lower case); the same few statements come back all the time
_written: dict[str, frozenset[str]] = {}
_WRITTEN_MAX = 4096
_DIRTY = "hostsim.read_cache.wrote"


def watch(*tables: str) -> None:
    """Make writes to ``tables`` invalidate every process's cached reads."""
    WATCHED.update(t.lower() for t in tables)


def tables_written(statement: str) -> frozenset[str]:
    found = _written.get(statement)
    if found is None:
        found = frozenset(name.lower() for name in _WRITES.findall(statement))
        if len(_written) >= _WRITTEN_MAX:
            _written.clear()
        _written[statement] = found
    return found


@dataclass
class _EngineState:
    entries: dict[Hashable, tuple[int, Any]] = field(default_factory=dict)
    #: the generation table is known to exist (it is looked for again until it does)
    ready: bool = False


@dataclass
class _View:
    """One scope's view of one database: its generation (None: no generation row) and, without
    one, the entries kept for this scope only."""

    generation: int | None
    local: dict[Hashable, Any] = field(default_factory=dict)


_states: "weakref.WeakKeyDictionary[Engine, _EngineState]" = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()
_scope: ContextVar[dict[Engine, _View] | None] = ContextVar("hostsim_read_cache", default=None)


def _state(engine: Engine) -> _EngineState:
    state = _states.get(engine)
    if state is None:
        with _states_lock:
            state = _states.setdefault(engine, _EngineState())
    return state


def begin() -> Token[dict[Engine, _View] | None]:
    return _scope.set({})


def end(token: Token[dict[Engine, _View] | None]) -> None:
    _scope.reset(token)


def read_generation(engine: Engine) -> int | None:
    """The database's generation, or None without the table or its row. A raw connection: no
    ORM or event cost, one short statement."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(f"SELECT value FROM {TABLE}")
            row = cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        return None
    finally:
        raw.close()  # back to the pool, which rolls the read transaction back
    _state(engine).ready = True
    return int(row[0]) if row is not None else None


def cached(engine: Engine, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s result for ``key``, reused while ``engine``'s database generation stays the
    same; a shallow copy each time (callers may change what they get). Not cached outside a scope."""
    scope = _scope.get()
    if scope is None:
        return load()
    view = scope.get(engine)
    if view is None:
        view = scope[engine] = _View(read_generation(engine))
    if view.generation is None:
        if key not in view.local:
            view.local[key] = load()
        return copy.copy(view.local[key])
    entries = _state(engine).entries
    entry = entries.get(key)
    if entry is not None and entry[0] == view.generation:
        return copy.copy(entry[1])
    value = load()
    entries[key] = (view.generation, value)
    return copy.copy(value)


def forget(engine: Engine, predicate: Callable[[Hashable], bool]) -> None:
    """Drop the entries whose key matches (this process wrote what they hold)."""
    entries = _state(engine).entries
    for key in [k for k in list(entries) if predicate(k)]:
        entries.pop(key, None)
    scope = _scope.get()
    view = scope.get(engine) if scope else None
    if view is not None:
        for key in [k for k in view.local if predicate(k)]:
            del view.local[key]


def _changed_here(engine: Engine) -> None:
    _state(engine).entries.clear()
    scope = _scope.get()
    if scope:
        scope.pop(engine, None)  # this request reads the generation again


def _before_cursor_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    written = tables_written(statement)
    if not written:
        return
    engine = conn.engine
    state = _state(engine)
    if TABLE in written and statement.lstrip()[:4].upper() == "DROP":
        state.ready = False  # a downgrade took the table away
        return
    if not written & WATCHED:
        return
    if not state.ready:
        # Before the migration that makes the table (a new database being set up) there is
        # nothing to count and no process can have cached anything from it.
        if not conn.dialect.has_table(conn, TABLE):
            return
        state.ready = True
    # The same DBAPI connection, so the same transaction: the number moves with the change. Before
    # the write: every transaction that writes watched tables takes the row's lock first, so two
    # of them wait for each other in one order and never deadlock (PostgreSQL, MariaDB).
    bump = conn.connection.dbapi_connection.cursor()
    try:
        bump.execute(f"UPDATE {TABLE} SET value = value + 1")
    finally:
        bump.close()
    conn.info[_DIRTY] = True


def _transaction_ended(conn: Any) -> None:
    if conn.info.pop(_DIRTY, False):
        _changed_here(conn.engine)


_installed: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def install(engine: Engine) -> None:
    """Count ``engine``'s writes to watched tables (once per engine)."""
    with _states_lock:
        if engine in _installed:
            return
        _installed.add(engine)
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(engine, "commit", _transaction_ended)
    event.listen(engine, "rollback", _transaction_ended)
