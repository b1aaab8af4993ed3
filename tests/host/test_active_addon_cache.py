"""The active-addon set is read once per scope (a web request), not once per event, and a change
made by another process is seen by this process's next scope."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import hello_addon.plugin as hello
from sqlalchemy import event

from hostsim.services.menus import MenuItem

REPO = Path(__file__).resolve().parents[2]


def addon_module_reads(host) -> list[str]:
    """Record the statements that read the addon_modules table."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "addon_modules" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(host.engine, "before_cursor_execute", record)
    return seen


def other_process(host, *args: str) -> None:
    """Run ``hostsim addon ...`` in a process of its own against the same database."""
    env = {**os.environ, "HOSTSIM_DATABASE_URL": host.engine.url.render_as_string(hide_password=False),
           "HOSTSIM_HOME": str(host.config.home)}
    env.pop("HOSTSIM_DISABLE_ADDON_AUTOLOAD", None)
    proc = subprocess.run([str(Path(sys.executable).with_name("hostsim")), "addon", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_events_in_one_scope_read_the_active_addons_once(make_host):
    host = make_host(("hello", hello))
    host.lifecycle.activate("hello")
    reads = addon_module_reads(host)
    token = host.addons.begin_scope()
    try:
        for _ in range(5):
            host.addons.primary_navbar(MenuItem("root"), None)
        assert host.addons.active() == {"hello"}
    finally:
        host.addons.end_scope(token)
    assert len(reads) == 1
    host.addons.active()  # outside a scope: read every time
    host.addons.active()
    assert len(reads) == 3


def test_an_activation_change_in_this_process_is_seen_in_the_same_scope(make_host):
    host = make_host(("hello", hello))
    token = host.addons.begin_scope()
    try:
        assert host.addons.active() == set()
        host.lifecycle.activate("hello")
        assert host.addons.active() == {"hello"}
        host.lifecycle.deactivate("hello")
        assert host.addons.active() == set()
    finally:
        host.addons.end_scope(token)


def test_another_process_activating_and_deactivating_is_seen_by_the_next_scope(make_host):
    host = make_host(("hello", hello))
    token = host.addons.begin_scope()
    assert host.addons.active() == set()
    other_process(host, "activate", "hello")
    assert host.addons.active() == set()  # one request sees one state of the addons
    host.addons.end_scope(token)
    token = host.addons.begin_scope()
    assert host.addons.active() == {"hello"}
    host.addons.end_scope(token)
    other_process(host, "deactivate", "hello")
    token = host.addons.begin_scope()
    assert host.addons.active() == set()
    host.addons.end_scope(token)


def test_each_web_request_reads_the_active_addons_once_and_sees_another_process(make_host):
    from hostsim.web import create_app

    host = make_host(("hello", hello))
    app = create_app(host)
    reads = addon_module_reads(host)
    with app.test_client() as web:
        assert web.get("/").status_code == 200  # the navbars' events fire on it
        first = len(reads)
        other_process(host, "activate", "hello")
        assert web.get("/").status_code == 200
    assert first == 1 and len(reads) - first == 1
    assert host.addons.active() == {"hello"}
