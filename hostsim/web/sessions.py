"""Server-side sessions for the web app: revocable logins behind a cookie that is only an id.

Design
------
Flask's default session is a signed cookie holding the whole session dict: the server keeps
nothing, so a logout only asks the browser to forget the cookie, and a copy of it stays valid.
Here :class:`ServerSessionInterface` replaces Flask's session interface:

* The cookie holds only a random id (256 bits, :func:`hostsim.services.sessions.new_id`); the
  ``web_sessions`` table is keyed by its SHA-256, so a leak of the table gives no usable cookie.
* The session dict (Flask-WTF's CSRF token, flash messages, the area keys below) is stored in
  the row as Flask's tagged JSON. Flask-WTF works unchanged: it reads and writes ``session``.
* Each area's login (admin, client) lives in columns of the row, not in the dict; the dict's
  ``admin_id``/``client_id`` only mirror them for convenience and are dropped on load when the
  columns no longer back them. So ending a login is a server-side UPDATE
  (:func:`hostsim.services.sessions.revoke`), refused from the very next request of every copy
  of the cookie, in every web worker or process, on SQLite, PostgreSQL and MariaDB alike.
  Saving a session never writes the login columns, so a request still in flight cannot bring an
  ended login back.
* Logging in or out (:func:`start_session`, :func:`end_session`) moves the session to a new id
  and deletes the old row in one transaction: no fixation, and a cookie copied before a logout is
  dead after it. The other area's login moves along, as each area logs in and out on its own.
* A login ends after its lifetime or idle time (host settings ``<area>_session_lifetime_minutes``
  and ``<area>_session_idle_minutes``), in real time: the host's clock, which ``--today`` moves
  to another day, is not used for sessions.
* A password change or a disabled account (admin ``is_active`` false, client Closed or Inactive)
  ends every login of the account in the same transaction, wherever it is made through the ORM
  (a listener in ``hostsim.db.models.accounts``), and ``hostsim.web.context`` checks both on
  every request too, for changes made any other way. "Log out all sessions" (the admin's
  profile, the client's Account Details) is :func:`hostsim.services.sessions.revoke`.
* Rows past use are pruned opportunistically (at most every ``PRUNE_EVERY`` per process, when a
  session is created), and by :func:`hostsim.services.sessions.prune_expired` for a cron task.

The cookie is a browser-session cookie (no expiry date): the server's lifetimes are what count.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, Request, Response, current_app
from flask import session as flask_session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from hostsim.clock import Clock
from hostsim.host import Host
from hostsim.services.sessions import TOUCH_EVERY, Login, SessionStore, hash_id, prune_expired
from hostsim.services.throttle import prune_counters

EXTENSION = "hostsim_sessions"
ADMIN_KEY = "admin_id"
CLIENT_KEY = "client_id"
#: The dict key mirroring each area's login.
AREA_KEYS: dict[str, str] = {"admin": ADMIN_KEY, "client": CLIENT_KEY}
#: How often (seconds, per process) creating a session also deletes expired rows.
PRUNE_EVERY = 300.0
#: A cookie value longer than this is no id of ours and not looked up.
MAX_ID_LENGTH = 128


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session dict of one request and the row it came from."""

    def __init__(self, initial: dict[str, Any] | None = None, *, key: str | None = None,
                 logins: dict[str, Login] | None = None, stale: bool = False) -> None:
        def on_update(this: CallbackDict[str, Any]) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)
        #: The row's key (SHA-256 of the id), None while the session has no row.
        self.key = key
        self.logins: dict[str, Login] = logins or {}
        #: Areas whose login this request used (their idle time starts again).
        self.used: set[str] = set()
        #: A new id to send in the cookie at the end of this request.
        self.new_id: str | None = None
        #: Whether this request's last-use time is worth writing though nothing changed.
        self.stale = stale
        self.modified = False
        self.accessed = False


class ServerSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()

    def __init__(self, host: Host, clock: Clock | None = None) -> None:
        self.store = SessionStore(host, clock)
        self._last_prune = 0.0
        self._prune_lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if not sid or len(sid) > MAX_ID_LENGTH:
            return ServerSession()
        stored = self.store.load(sid)
        if stored is None:
            return ServerSession()  # unknown, ended or expired: the visitor starts afresh
        data: dict[str, Any] = self.serializer.loads(stored.data) if stored.data else {}
        for area, dict_key in AREA_KEYS.items():
            if area in stored.logins:
                data[dict_key] = stored.logins[area].user_id
            else:
                data.pop(dict_key, None)
        now = self.store.clock.now()
        return ServerSession(data, key=stored.key, logins=stored.logins, stale=now - stored.seen_at >= TOUCH_EVERY)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.accessed:
            response.vary.add("Cookie")
        if session.key is None:
            if not session.modified or not session:
                return  # a visitor with nothing to keep gets no row and no cookie
            self._replace(session, None)
        elif session.modified or session.stale or self._used_is_stale(session):
            # A row ended elsewhere meanwhile is left ended (and its cookie alone: a login in
            # another tab may just have set a new one).
            self.store.save(session.key, self._dumps(session), session.logins, session.used)
        if session.new_id is not None:
            response.set_cookie(
                self.get_cookie_name(app), session.new_id, domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app), httponly=self.get_cookie_httponly(app),
                secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app))

    def _used_is_stale(self, session: ServerSession) -> bool:
        now = self.store.clock.now()
        return any(now - session.logins[a].seen_at >= TOUCH_EVERY for a in session.used if a in session.logins)

    def _dumps(self, session: ServerSession) -> str:
        # The area keys are derived from the login columns on every load.
        return self.serializer.dumps({k: v for k, v in session.items() if k not in AREA_KEYS.values()})

    def _replace(self, session: ServerSession, replaces: str | None) -> None:
        """Give ``session`` a new id and row (deleting the row it replaces)."""
        sid = self.store.create(self._dumps(session), session.logins, replaces=replaces)
        session.key, session.new_id = hash_id(sid), sid
        session.modified = False
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        with self._prune_lock:
            if time.monotonic() - self._last_prune < PRUNE_EVERY:
                return
            self._last_prune = time.monotonic()
        host = self.store.host
        try:
            prune_expired(host, clock=self.store.clock)
            prune_counters(host)
        except Exception:  # housekeeping must never fail a request
            current_app.logger.exception("pruning expired sessions failed")


def install(app: Flask, host: Host) -> ServerSessionInterface:
    """Put the server-side sessions under ``app``. ``HOSTSIM_SESSION_CLOCK`` in the app's config
    (a ``hostsim.clock.Clock``) replaces real time for session lifetimes, for tests."""
    interface = ServerSessionInterface(host, app.config.get("HOSTSIM_SESSION_CLOCK"))
    app.session_interface = interface
    app.extensions[EXTENSION] = interface
    return interface


def _current() -> tuple[ServerSessionInterface, ServerSession]:
    interface = current_app.extensions[EXTENSION]
    session = flask_session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(interface, ServerSessionInterface) and isinstance(session, ServerSession)
    return interface, session


def start_session(area: str, user_id: int, auth: str) -> None:
    """Log into ``area`` under a new session id (no fixation); the old id ends at once.

    Only the other area's login (and its dict key) moves to the new session; the rest of the
    dict (the CSRF token included) starts afresh.
    """
    interface, session = _current()
    now = interface.store.clock.now()
    kept = {a: login for a, login in session.logins.items() if a != area}
    values = {AREA_KEYS[a]: login.user_id for a, login in kept.items()}
    session.clear()
    session.update(values)
    session[AREA_KEYS[area]] = user_id
    session.logins = {**kept, area: Login(user_id, auth, now, now)}
    session.used.add(area)
    interface._replace(session, session.key)


def end_session(area: str) -> None:
    """Log out of ``area`` under a new session id; the old id ends at once, so does every copy
    of the cookie. The other area's login moves to the new session; everything else is dropped."""
    interface, session = _current()
    kept = {a: login for a, login in session.logins.items() if a != area}
    session.clear()
    session.update({AREA_KEYS[a]: login.user_id for a, login in kept.items()})
    session.logins = kept
    interface._replace(session, session.key)


def current_login(area: str) -> Login | None:
    """This request's login of ``area`` (still in force when the request began), or None."""
    _interface, session = _current()
    return session.logins.get(area)


def mark_used(area: str) -> None:
    """The request used ``area``'s login: its idle time starts again."""
    _interface, session = _current()
    session.used.add(area)


def drop_login(area: str) -> None:
    """End this session's login of ``area`` (it no longer holds: account disabled, password changed)."""
    interface, session = _current()
    login = session.logins.pop(area, None)
    session.pop(AREA_KEYS[area], None)
    if login is not None and session.key is not None:
        interface.store.end_login(session.key, area, login.user_id)


def current_key() -> str | None:
    """The table key of this request's session (to keep it when ending the others)."""
    _interface, session = _current()
    return session.key
