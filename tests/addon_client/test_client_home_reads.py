"""An enrolled client's home page reads the enrolment once: the navbar (Cloud Usage) and the
homepage panel share it, and both still show it."""

from __future__ import annotations

from sqlalchemy import event

from tests.addon_client.conftest import enrol, login


def test_the_navbar_and_the_panel_share_one_read_of_the_enrolment(app, addon_host, sim):
    enrol(addon_host, sim, "ada@example.com")
    web = app.test_client()
    login(web, "ada@example.com")
    reads: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM mod_solusio_enrolments" in statement:
            reads.append(statement)

    event.listen(addon_host.engine, "before_cursor_execute", record)
    html = web.get("/clientarea").get_data(as_text=True)
    assert 'href="/index.php?m=solusio&amp;action=usage">Cloud Usage</a>' in html
    assert 'data-status="active"' in html and 'id="sso-form"' in html
    assert len(reads) == 1
