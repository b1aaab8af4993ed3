"""hostsim.db.read_cache: which statements count as writes to a table, and nothing is kept
outside a scope (the command line, cron)."""

from __future__ import annotations

import pytest

from hostsim.db import read_cache


@pytest.mark.parametrize("statement, tables", [
    ("INSERT INTO host_settings (key, value) VALUES (?, ?)", {"host_settings"}),
    ('INSERT INTO "addon_settings" (module) VALUES (%(m)s)', {"addon_settings"}),
    ("INSERT OR REPLACE INTO currencies (id) VALUES (1)", {"currencies"}),
    ("INSERT IGNORE INTO `addon_access` (module) VALUES (%s)", {"addon_access"}),
    ("REPLACE INTO host_settings VALUES (1)", {"host_settings"}),
    ("UPDATE addon_modules SET version=? WHERE addon_modules.module = ?", {"addon_modules"}),
    ('update "currencies" set active = false', {"currencies"}),
    ("DELETE FROM `addon_settings` WHERE module = %s", {"addon_settings"}),
    ('TRUNCATE TABLE "host_settings" RESTART IDENTITY CASCADE', {"host_settings"}),
    ("DROP TABLE IF EXISTS mod_solusio_token_prices", {"mod_solusio_token_prices"}),
])
def test_writes_name_their_table(statement: str, tables: set[str]) -> None:
    assert tables <= read_cache.tables_written(statement)


@pytest.mark.parametrize("statement", [
    "SELECT host_settings.key, host_settings.value FROM host_settings",
    "SELECT addon_modules.updated_at FROM addon_modules WHERE module = ?",
    "SELECT id FROM currencies WHERE id = 1 FOR UPDATE",
    "UPDATE clients SET email = ? WHERE clients.id = ?",
])
def test_reads_and_other_tables_write_nothing_watched(statement: str) -> None:
    assert not read_cache.tables_written(statement) & read_cache.WATCHED


def test_outside_a_scope_every_call_loads(host) -> None:
    loads: list[int] = []
    for _ in range(3):
        read_cache.cached(host.engine, "key", lambda: loads.append(1))
    assert len(loads) == 3


def test_inside_scopes_a_value_is_kept_until_a_watched_write(host) -> None:
    loads: list[int] = []

    def cached() -> None:
        token = read_cache.begin()
        try:
            read_cache.cached(host.engine, "key", lambda: loads.append(1))
            read_cache.cached(host.engine, "key", lambda: loads.append(1))
        finally:
            read_cache.end(token)

    cached()
    cached()
    assert len(loads) == 1
    host.activity.log("A write to a table nothing caches")
    cached()
    assert len(loads) == 1
    host.settings.set_many({"company_name": "Another Name"})
    cached()
    assert len(loads) == 2
