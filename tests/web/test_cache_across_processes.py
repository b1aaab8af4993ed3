"""What pages keep between requests (``hostsim.db.read_cache``): the General Settings, addon
settings, the active addons and who may open their pages. Each is kept (the next request does not
read its table again) and read again after a change made elsewhere: by a second Host over the same
database, with its own engine and connections as a second process has, through the services or
through plain SQL, and by a real ``hostsim`` process. The request that makes a change sees it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event, select, text

from hostsim.db import read_cache
from hostsim.db.models import AdminRole
from hostsim.web import create_app
from tests.web.conftest import activate, login_admin

REPO = Path(__file__).resolve().parents[2]
DEMO_PAGE = "/admin/addonmodules.php?module=demo"


def selects_from(host, table: str) -> list[str]:
    """Record the statements that read ``table`` through ``host``'s engine from now on."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(host.engine, "before_cursor_execute", record)
    return seen


def set_company_name(conn, name: str):  # type: ignore[no-untyped-def]
    """A plain-text UPDATE of the company name (``key`` is a reserved word on MariaDB)."""
    key = conn.dialect.identifier_preparer.quote("key")
    return text(f"UPDATE host_settings SET value = :name WHERE {key} = 'company_name'").bindparams(name=name)


def second_host(make_host, demo):  # type: ignore[no-untyped-def]
    """Another Host over the same database: its own engine, pool and caches."""
    return make_host(("demo", demo))


def test_general_settings_are_kept_and_read_again_after_another_hosts_change(web_host, anon, make_host, demo):
    assert "Example Hosting" in anon.get("/").get_data(as_text=True)
    reads = selects_from(web_host, "host_settings")
    assert anon.get("/").status_code == 200 and anon.get("/login").status_code == 200
    assert reads == []  # kept between requests: nothing changed
    second_host(make_host, demo).settings.set_many({"company_name": "Elsewhere Hosting"})
    assert "Elsewhere Hosting" in anon.get("/").get_data(as_text=True)
    assert len(reads) == 1


def test_a_change_in_plain_sql_is_seen_too(web_host, anon, make_host, demo):
    other = second_host(make_host, demo)
    other.settings.set_many({"company_name": "Service Hosting"})
    assert "Service Hosting" in anon.get("/").get_data(as_text=True)
    with other.engine.begin() as conn:  # not through the settings service: no one forgets anything
        conn.execute(set_company_name(conn, "Raw Hosting"))
    assert "Raw Hosting" in anon.get("/").get_data(as_text=True)


def test_activating_and_deactivating_elsewhere_is_seen_by_the_next_request(web_host, anon, admin, make_host, demo):
    visitor_page = "/index.php?m=demo&action=public"
    assert anon.get(visitor_page).status_code == 404
    other = second_host(make_host, demo)
    assert other.lifecycle.activate("demo").status == "success"
    assert anon.get(visitor_page).status_code == 200
    assert "Demo Addon" in admin.get("/admin/addonmodules").get_data(as_text=True)
    assert other.lifecycle.deactivate("demo").status == "success"
    assert anon.get(visitor_page).status_code == 404


def test_access_to_an_addon_page_changed_elsewhere_is_seen_by_the_next_request(web_host, admin, make_host, demo):
    activate(web_host, "demo", roles=("Full Administrator",))
    assert admin.get(DEMO_PAGE).status_code == 200
    other = second_host(make_host, demo)
    with other.sessions() as s:
        support = s.scalars(select(AdminRole.id).where(AdminRole.name == "Support Operator")).one()
        full = s.scalars(select(AdminRole.id).where(AdminRole.name == "Full Administrator")).one()
    other.lifecycle.set_access("demo", [support])
    assert admin.get(DEMO_PAGE).status_code == 403
    other.lifecycle.set_access("demo", [full, support])
    assert admin.get(DEMO_PAGE).status_code == 200


def test_addon_settings_changed_elsewhere_are_seen_by_the_next_request(web_host, make_host, demo):
    activate(web_host, "demo")
    other = second_host(make_host, demo)
    token = read_cache.begin()  # what a web request opens
    try:
        assert "note" not in web_host.addon_settings.get_all("demo")
    finally:
        read_cache.end(token)
    other.addon_settings.set_private("demo", {"note": "from elsewhere"})
    token = read_cache.begin()
    try:
        assert web_host.addon_settings.get_all("demo")["note"] == "from elsewhere"
    finally:
        read_cache.end(token)


def test_the_request_that_writes_sees_its_change_and_a_rolled_back_one_is_not_kept(web_host):
    token = read_cache.begin()
    try:
        assert web_host.settings.get("company_name") == "Example Hosting"
        web_host.settings.set_many({"company_name": "Changed Here"})
        assert web_host.settings.get("company_name") == "Changed Here"
        try:
            with web_host.engine.begin() as conn:
                conn.execute(set_company_name(conn, "Never Saved"))
                raise RuntimeError("the transaction fails")
        except RuntimeError:
            pass
        assert web_host.settings.get("company_name") == "Changed Here"
    finally:
        read_cache.end(token)


def test_without_the_generation_row_nothing_is_kept_between_requests(web_host, anon, make_host, demo):
    with web_host.engine.begin() as conn:
        conn.execute(text("DELETE FROM cache_generation"))
    try:
        anon.get("/")
        reads = selects_from(web_host, "host_settings")
        anon.get("/")
        assert len(reads) == 1  # read once in the request, again in the next one
        second_host(make_host, demo).settings.set_many({"company_name": "No Row Hosting"})
        assert "No Row Hosting" in anon.get("/").get_data(as_text=True)
    finally:
        with web_host.engine.begin() as conn:
            conn.execute(text("INSERT INTO cache_generation (id, value) VALUES (1, 0)"))


def test_a_hostsim_process_changing_a_setting_is_seen_by_the_next_request(web_host, anon):
    assert "Example Hosting" in anon.get("/").get_data(as_text=True)
    env = {**os.environ, "HOSTSIM_DATABASE_URL": web_host.engine.url.render_as_string(hide_password=False),
           "HOSTSIM_HOME": str(web_host.config.home)}
    proc = subprocess.run([str(Path(sys.executable).with_name("hostsim")), "settings", "set",
                           "company_name=Process Hosting"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Process Hosting" in anon.get("/").get_data(as_text=True)


def test_an_admin_page_sees_a_setting_saved_by_another_app(web_host, make_host, demo):
    """Two web apps (two processes' worth): one saves the General Settings, the other shows them."""
    first = create_app(web_host).test_client()
    assert login_admin(first).status_code == 302
    assert "Example Hosting" in first.get("/admin/settings").get_data(as_text=True)
    second_host(make_host, demo).settings.set_many({"company_name": "Saved Elsewhere"})
    assert "Saved Elsewhere" in first.get("/admin/settings").get_data(as_text=True)
