"""An enrolled client's home page reads the enrolment once: the navbar (Cloud Usage) and the
homepage panel share it, and both still show it."""

from __future__ import annotations

from sqlalchemy import event

from solusio_addon.db.models import Enrolment, EnrolmentStatus
from tests.addon_client.conftest import add_client, login


def test_the_navbar_and_the_panel_share_one_read_of_the_enrolment(app, addon_host, sim):
    client_id = add_client(addon_host, "ada@example.com")
    user = sim.state.add_user("ada@example.com")
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=client_id, solusio_user_id=user.id, status=EnrolmentStatus.ACTIVE,
                        created_at=addon_host.clock.now()))
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
