"""Host settings for login lifetimes (validated, with documented defaults), the session store's
pruning, the login counters' pruning, and migration 0003 going down and up again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from hostsim.clock import Clock
from hostsim.db import migrate
from hostsim.db.models import LoginCounter, WebSession
from hostsim.services.sessions import Login, SessionStore, hash_id, lifetimes, prune_expired, revoke
from hostsim.services.throttle import LoginThrottle, prune_counters


def test_session_lifetime_defaults(host):
    lives = lifetimes(host.settings.all())
    assert (lives["admin"].absolute, lives["admin"].idle) == (timedelta(hours=12), timedelta(hours=2))
    assert (lives["client"].absolute, lives["client"].idle) == (timedelta(days=7), timedelta(days=1))


def test_session_lifetimes_are_validated(host):
    cases = {
        ("admin_session_idle_minutes", "abc"): "admin_session_idle_minutes: must be a whole number of minutes",
        ("admin_session_idle_minutes", "4"): "from 5 to",
        ("client_session_lifetime_minutes", "999999"): "(366 days)",
        ("client_session_lifetime_minutes", "-5"): "whole number",
        ("admin_session_idle_minutes", "721"): "admin_session_idle_minutes: must not be longer than the Admin session lifetime",
        ("client_session_lifetime_minutes", "60"): "client_session_idle_minutes: must not be longer than",
    }
    for (key, value), message in cases.items():
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            host.settings.set_many({key: value})
    assert host.settings.get("admin_session_idle_minutes") == "120"
    # Both at once, lifetime shorter than the old idle time: checked against each other.
    assert host.settings.set_many({"client_session_lifetime_minutes": "60", "client_session_idle_minutes": " 030"}) == [
        "client_session_lifetime_minutes", "client_session_idle_minutes"]
    assert host.settings.get("client_session_idle_minutes") == "30"


def test_a_bad_stored_lifetime_falls_back_to_its_default():
    lives = lifetimes({"admin_session_idle_minutes": "0", "client_session_idle_minutes": "x"})
    assert lives["admin"].idle == timedelta(hours=2) and lives["client"].idle == timedelta(days=1)


def test_store_keeps_only_the_hash_and_revoke_ends_one_accounts_logins(host):
    store = SessionStore(host)
    now = host.clock.now()
    mine = store.create("{}", {"admin": Login(1, "a", now, now), "client": Login(7, "c", now, now)})
    other = store.create("{}", {"admin": Login(2, "b", now, now)})
    with host.sessions() as s:
        assert set(s.scalars(select(WebSession.id))) == {hash_id(mine), hash_id(other)}
    assert revoke(host, "admin", 1) == 1
    loaded = store.load(mine)
    assert loaded is not None and set(loaded.logins) == {"client"}  # the client login of that browser stays
    assert set(store.load(other).logins) == {"admin"}
    with pytest.raises(ValueError):
        revoke(host, "nobody", 1)


def test_a_visitor_session_expires_after_its_idle_time_and_is_pruned(host):
    clock = Clock()
    store = SessionStore(host, clock)
    sid = store.create('{"csrf_token": "t"}', {})
    clock.advance(timedelta(hours=5))
    assert store.load(sid) is not None and prune_expired(host, clock=clock) == 0
    clock.advance(timedelta(hours=2))
    assert store.load(sid) is None and prune_expired(host, clock=clock) == 1


def test_prune_deletes_in_batches(host):
    clock = Clock()
    store = SessionStore(host, clock)
    for _ in range(7):
        store.create("{}", {})
    assert prune_expired(host) == 0  # real time: nothing has expired
    clock.advance(timedelta(days=1))
    assert prune_expired(host, clock=clock, batch=3) == 7


def test_login_counters_are_pruned_once_their_window_is_over(host):
    throttle = LoginThrottle(host, "admin")
    assert throttle.reserve("boss", "192.0.2.1").allowed
    host.clock.advance(timedelta(minutes=14))
    assert prune_counters(host) == 0
    host.clock.advance(timedelta(minutes=2))
    assert prune_counters(host) == 2
    with host.sessions() as s:
        assert list(s.scalars(select(LoginCounter.key))) == []


def test_a_refused_attempt_counts_against_neither_key(host):
    throttle = LoginThrottle(host, "client", account_limit=2, address_limit=3)
    for _ in range(2):
        assert throttle.reserve("ada@example.com", "192.0.2.1").allowed
    refused = throttle.reserve("ada@example.com", "192.0.2.1")
    assert not refused.allowed and refused.wait_minutes == 15
    with host.sessions() as s:
        counts = {key: failures for key, failures in s.execute(select(LoginCounter.key, LoginCounter.failures))}
    assert counts == {"client:user:ada@example.com": 2, "client:ip:192.0.2.1": 2}


def test_migration_0003_goes_down_and_up(host):
    migrate.downgrade(host.engine, "0002")
    try:
        names = set(inspect(host.engine).get_table_names())
        assert "web_sessions" not in names and "login_counters" not in names
    finally:
        migrate.upgrade(host.engine)
    assert {"web_sessions", "login_counters"} <= set(inspect(host.engine).get_table_names())
    assert migrate.is_up_to_date(host.engine)
