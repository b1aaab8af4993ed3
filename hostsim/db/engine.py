"""Engine and session factory for the configured database (SQLite, PostgreSQL or MariaDB)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from hostsim.db import read_cache


def make_engine(url: str, **kwargs: Any) -> Engine:
    engine = _create(url, **kwargs)
    # Writes to cached tables move the cache generation on, in every process (read_cache).
    read_cache.install(engine)
    return engine


def _create(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        # Several processes (web, cron) share the file: wait for locks instead of failing at once.
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if url.startswith(("mysql", "mariadb")):
        kwargs.setdefault("pool_recycle", 3600)
        if "charset=" not in url:
            url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from hostsim.db import on_commit

    factory = sessionmaker(engine, expire_on_commit=False)
    on_commit.install(factory)
    return factory
