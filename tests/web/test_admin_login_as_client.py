""""Log in as client": the admin browses the client area as the client, with a banner on every page
and a way back; the admin's own login stays; it ends with the admin's login and never changes the
client's password."""

from __future__ import annotations

from sqlalchemy import select

from hostsim.db.models import ActivityLog, Client
from hostsim.services.passwords import verify_password
from tests.web.conftest import CLIENT_PASSWORD, activate, add_client, csrf_of, login_client, post_form

BANNER = "You are logged in as <strong>Ada Lovelace</strong> by admin <strong>boss</strong>"


def _start(admin, cid: int):
    return post_form(admin, f"/admin/clients/{cid}/login-as", token_from=f"/admin/clients/{cid}")


def _log(host) -> list[tuple[str, str]]:
    with host.sessions() as s:
        return [(a.actor, a.description) for a in s.scalars(select(ActivityLog).order_by(ActivityLog.id))]


def test_the_admin_logs_in_as_the_client_sees_the_banner_and_returns(admin, web_host) -> None:
    activate(web_host)  # an addon's client-area page shows the banner too
    cid = add_client(web_host, "ada@example.com")
    answer = _start(admin, cid)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/clientarea")
    assert ("boss", f"Admin boss logged in as client Ada Lovelace (#{cid})") in _log(web_host)
    for path in ("/clientarea", "/clientarea/details", "/clientarea/invoices", "/index.php?m=demo"):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert BANNER in page.get_data(as_text=True), path
    assert admin.get("/admin/clients").status_code == 200  # the admin's own login is intact
    back = post_form(admin, "/admin/clients/login-as/end", token_from="/clientarea")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/admin/clients/{cid}")
    assert "You are no longer logged in as Ada Lovelace." in admin.get(back.headers["Location"]).get_data(as_text=True)
    assert admin.get("/clientarea").status_code == 302  # the client login ended
    assert admin.get("/admin/clients").status_code == 200  # the admin's did not


def test_a_client_logged_in_themself_sees_no_banner(anon, web_host) -> None:
    add_client(web_host, "ada@example.com")
    assert login_client(anon, "ada@example.com").status_code == 302
    page = anon.get("/clientarea").get_data(as_text=True)
    assert "Ada" in page and "impersonation-banner" not in page
    # and "Return to admin" is not a way to log a client out: it needs an admin
    assert anon.post("/admin/clients/login-as/end", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert anon.get("/clientarea").status_code == 200


def test_the_impersonation_ends_with_the_admins_login(admin, web_host) -> None:
    cid = add_client(web_host, "ada@example.com")
    _start(admin, cid)
    assert admin.get("/clientarea").status_code == 200
    assert post_form(admin, "/admin/logout", token_from="/admin/clients").status_code == 302
    assert admin.get("/admin/clients").status_code == 302
    assert admin.get("/clientarea").status_code == 302  # no admin, no client login


def test_the_impersonating_session_cannot_change_the_password_or_end_the_clients_sessions(
        admin, anon, web_host) -> None:
    cid = add_client(web_host, "ada@example.com")
    assert login_client(anon, "ada@example.com").status_code == 302
    _start(admin, cid)
    refused = post_form(admin, "/clientarea/details/password",
                        {"current_password": CLIENT_PASSWORD, "new_password": "Another-Pass-456",
                         "confirm_password": "Another-Pass-456"}, token_from="/clientarea/details")
    assert refused.status_code == 403
    assert post_form(admin, "/clientarea/details/logout-all", token_from="/clientarea/details").status_code == 403
    assert anon.get("/clientarea").status_code == 200  # the client's own session is untouched
    with web_host.sessions() as s:
        row = s.get(Client, cid)
        assert row is not None and verify_password(row.password_hash, CLIENT_PASSWORD)


def test_a_closed_client_cannot_be_logged_in_as_and_the_button_needs_csrf(admin, web_host) -> None:
    cid = add_client(web_host, "ada@example.com")
    assert admin.post(f"/admin/clients/{cid}/login-as").status_code == 400
    post_form(admin, f"/admin/clients/{cid}/close", token_from=f"/admin/clients/{cid}")
    answer = _start(admin, cid)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/admin/clients/{cid}")
    assert admin.get("/clientarea").status_code == 302
    assert post_form(admin, "/admin/clients/99999/login-as", token_from=f"/admin/clients/{cid}").status_code == 404


def test_a_password_change_by_the_client_ends_the_impersonation(admin, web_host) -> None:
    from hostsim.services.passwords import set_password

    cid = add_client(web_host, "ada@example.com")
    _start(admin, cid)
    assert admin.get("/clientarea").status_code == 200
    set_password(web_host, "client", cid, "Brand-New-Pass-789", actor="Client")
    assert admin.get("/clientarea").status_code == 302
