"""Server-side web sessions: the ``web_sessions`` rows behind the session cookie.

This module is the storage, free of Flask (``hostsim.web.sessions`` puts it behind Flask's
session interface and explains the design). A browser session is one row keyed by the SHA-256
of the random id in its cookie; the id itself is never stored. Each area's login (admin,
client) is a set of columns of the row, so:

* ending a login anywhere (:func:`revoke`) is one UPDATE that clears those columns in every row
  of the account, and every copy of every cookie is refused from its next request on;
* a login expires by its lifetime (from the login) or its idle time (from its last use), both
  host settings (:func:`lifetimes`), checked on every request;
* rows whose every login (or, for a visitor, whose idle time) has run out are deleted by
  :func:`prune_expired`, which the web app runs now and then and a cron task may run too.

Session times are read from a clock of their own (real time by default), not the host's clock:
``--today`` and tests move the host's day to bill or age invoices, and that must neither end nor
prolong anyone's login. Tests give the store (``HOSTSIM_SESSION_CLOCK`` in the app's config) a
``hostsim.clock.Clock`` of their own to move.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, update

from hostsim.clock import Clock
from hostsim.db.models import WebSession
from hostsim.db.retry import retry_on_conflict
from hostsim.services.host_settings import DEFAULTS, SESSION_KEYS

if TYPE_CHECKING:
    from hostsim.host import Host

AREAS = ("admin", "client")
#: A visitor's session (a CSRF token, a flash message) lives this long after its last request.
VISITOR_IDLE = timedelta(hours=6)
#: Last-use times are written at most this often per session, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
#: Bytes of randomness in a session id (the cookie holds it URL-safe encoded).
ID_BYTES = 32


#: Real time (never moved): the default clock of session lifetimes.
WALL_CLOCK = Clock()


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def hash_id(sid: str) -> str:
    """The table's key for a cookie's session id."""
    return hashlib.sha256(sid.encode()).hexdigest()


@dataclass(frozen=True)
class Lifetime:
    absolute: timedelta
    idle: timedelta


def lifetimes(settings: dict[str, str]) -> dict[str, Lifetime]:
    """Each area's lifetimes from the host settings (a bad stored value falls back to its default)."""
    def minutes(key: str) -> timedelta:
        value = settings.get(key, "")
        return timedelta(minutes=int(value if value.isdigit() and int(value) > 0 else DEFAULTS[key]))

    return {area: Lifetime(minutes(absolute), minutes(idle)) for area, (absolute, idle) in SESSION_KEYS.items()}


@dataclass
class Login:
    """One area's login in a session: who, the password it was made with (a digest of the hash),
    when it started and when it was last used."""

    user_id: int
    auth: str
    login_at: datetime
    seen_at: datetime

    def ends_at(self, life: Lifetime) -> datetime:
        return min(self.login_at + life.absolute, self.seen_at + life.idle)


@dataclass
class StoredSession:
    key: str
    data: str
    seen_at: datetime
    logins: dict[str, Login] = field(default_factory=dict)


def _login_of(row: Any, area: str) -> Login | None:
    """``area``'s login in a ``web_sessions`` row (an entity or a Core row), or None."""
    user_id, auth = getattr(row, f"{area}_id"), getattr(row, f"{area}_auth")
    login_at, seen_at = getattr(row, f"{area}_login_at"), getattr(row, f"{area}_seen_at")
    if user_id is None or auth is None or login_at is None or seen_at is None:
        return None
    return Login(user_id, auth, login_at, seen_at)


def _login_columns(area: str, login: Login | None) -> dict[str, Any]:
    if login is None:
        return {f"{area}_id": None, f"{area}_auth": None, f"{area}_login_at": None, f"{area}_seen_at": None}
    return {f"{area}_id": login.user_id, f"{area}_auth": login.auth, f"{area}_login_at": login.login_at,
            f"{area}_seen_at": login.seen_at}


def expires_at(logins: dict[str, Login], seen_at: datetime, lives: dict[str, Lifetime]) -> datetime:
    """When a row is of no more use: its last login ends, or a visitor's idle time runs out."""
    ends = [login.ends_at(lives[area]) for area, login in logins.items()]
    return max(ends) if ends else seen_at + VISITOR_IDLE


#: Every request with a cookie runs it: built once, read as a Core row (no ORM entity to make).
_LOAD = select(*WebSession.__table__.columns).where(WebSession.id == bindparam("key"))


class SessionStore:
    """The ``web_sessions`` table of one host. Every method is one short transaction."""

    def __init__(self, host: "Host", clock: Clock | None = None) -> None:
        self.host = host
        self.clock = clock or WALL_CLOCK

    def lifetimes(self) -> dict[str, Lifetime]:
        return lifetimes(self.host.settings.all())

    def load(self, sid: str) -> StoredSession | None:
        """The session of a cookie's id with its logins still in force, or None (unknown or expired).

        A login past its lifetime or idle time is cleared from the row here.
        """
        key = hash_id(sid)
        now = self.clock.now()
        with self.host.engine.connect() as conn:
            row = conn.execute(_LOAD, {"key": key}).first()
        if row is None or row.expires_at <= now:
            return None
        stored = StoredSession(key, row.data, row.seen_at)
        lives: dict[str, Lifetime] | None = None
        for area in AREAS:
            login = _login_of(row, area)
            if login is None:
                continue
            lives = lives or self.lifetimes()
            if login.ends_at(lives[area]) <= now:
                self.end_login(key, area, login.user_id)
            else:
                stored.logins[area] = login
        if not stored.logins and row.seen_at + VISITOR_IDLE <= now:
            return None  # nobody logged in any more, and idle for longer than a visitor may be
        return stored

    def create(self, data: str, logins: dict[str, Login], *, replaces: str | None = None) -> str:
        """Store a session under a fresh id and return the id (for the cookie).

        With ``replaces`` (the key of the session it follows, on login and logout) that row is
        deleted in the same transaction, so the old id is dead the moment the new one exists.
        """
        sid = new_id()
        now = self.clock.now()
        row = {"id": hash_id(sid), "data": data, "created_at": now, "seen_at": now,
               "expires_at": expires_at(logins, now, self.lifetimes())}
        for area in AREAS:
            row.update(_login_columns(area, logins.get(area)))

        def work() -> None:
            with self.host.transaction() as s:
                if replaces is not None:
                    s.execute(delete(WebSession).where(WebSession.id == replaces))
                s.add(WebSession(**row))

        retry_on_conflict(work)
        return sid

    def save(self, key: str, data: str, logins: dict[str, Login], used: set[str]) -> bool:
        """Write the session's data and mark the ``used`` areas' logins as used now.

        Only an existing row is updated and its login columns are never set here: a row ended
        elsewhere while this request ran stays ended. Returns False when the row is gone.
        """
        now = self.clock.now()
        lives = self.lifetimes()
        for area in used & logins.keys():
            logins[area].seen_at = now
        values: dict[str, Any] = {"data": data, "seen_at": now, "expires_at": expires_at(logins, now, lives)}

        def work() -> bool:
            with self.host.transaction() as s:
                done = s.execute(update(WebSession).where(WebSession.id == key).values(**values)
                                 .execution_options(synchronize_session=False)).rowcount > 0  # type: ignore[attr-defined]
                for area in used & logins.keys():
                    # Only while the same login is still there (not ended meanwhile).
                    s.execute(update(WebSession)
                              .where(WebSession.id == key, getattr(WebSession, f"{area}_id") == logins[area].user_id)
                              .values({f"{area}_seen_at": now}).execution_options(synchronize_session=False))
                return done

        return retry_on_conflict(work)

    def end_login(self, key: str, area: str, user_id: int | None = None) -> None:
        """Clear ``area``'s login from one session (only ``user_id``'s, when given)."""
        cond = [WebSession.id == key]
        if user_id is not None:
            cond.append(getattr(WebSession, f"{area}_id") == user_id)

        def work() -> None:
            with self.host.transaction() as s:
                s.execute(update(WebSession).where(*cond).values(_login_columns(area, None))
                          .execution_options(synchronize_session=False))

        retry_on_conflict(work)

    def count(self, area: str, user_id: int) -> int:
        """How many sessions hold a login of this account (expired ones not yet pruned included)."""
        from sqlalchemy import func
        with self.host.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(WebSession)
                                .where(getattr(WebSession, f"{area}_id") == user_id)) or 0)


def revoke(host: "Host", area: str, user_id: int, *, keep: str | None = None) -> int:
    """End every login of one account (admin or client) in every session, at once.

    For logout everywhere, a password change, a disabled account. ``keep`` is the key of a
    session to leave alone. Returns how many sessions were ended.
    """
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")
    column = getattr(WebSession, f"{area}_id")
    cond = [column == user_id]
    if keep is not None:
        cond.append(WebSession.id != keep)

    def work() -> int:
        with host.transaction() as s:
            result = s.execute(update(WebSession).where(*cond).values(_login_columns(area, None))
                               .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    return retry_on_conflict(work)


def prune_expired(host: "Host", *, clock: Clock | None = None, batch: int = 500) -> int:
    """Delete sessions past their ``expires_at``; returns how many. Deletes by primary key in
    batches so it never holds range locks that a login inserting its row would wait on."""
    now = (clock or WALL_CLOCK).now()
    deleted = 0
    while True:
        with host.sessions() as s:
            keys = list(s.scalars(select(WebSession.id).where(WebSession.expires_at < now).limit(batch)))
        if not keys:
            return deleted

        def work(keys: list[str] = keys) -> int:
            with host.transaction() as s:
                result = s.execute(delete(WebSession).where(WebSession.id.in_(keys), WebSession.expires_at < now))
            return int(getattr(result, "rowcount", 0) or 0)

        deleted += retry_on_conflict(work)
        if len(keys) < batch:
            return deleted
