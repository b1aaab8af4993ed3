"""An admin edits a client's profile on its admin page: every field at once, every problem under
its field in words, one sentence in the activity log, and nothing logged for a save that changes
nothing."""

from __future__ import annotations

from sqlalchemy import select

from hostsim.db.models import ActivityLog, Client, ClientStatus
from tests.web.conftest import add_client, add_invoice, post_form

FORM = {"first_name": "Ada", "last_name": "Lovelace", "company": "", "email": "ada@example.com", "address": "",
        "currency": "USD", "status": "Active"}


def _client(host, client_id: int) -> Client:
    with host.sessions() as s:
        row = s.get(Client, client_id)
        assert row is not None
        s.expunge(row)
        return row


def _log(host, client_id: int) -> list[tuple[str, str]]:
    with host.sessions() as s:
        return [(a.actor, a.description) for a in s.scalars(
            select(ActivityLog).where(ActivityLog.client_id == client_id).order_by(ActivityLog.id))]


def _save(admin, client_id: int, **changes: str):
    return post_form(admin, f"/admin/clients/{client_id}/profile", {**FORM, **changes},
                     token_from=f"/admin/clients/{client_id}")


def test_the_admin_edits_every_field_and_the_log_says_what_changed(admin, web_host, demo) -> None:
    web_host.lifecycle.activate("demo")
    cid = add_client(web_host, "ada@example.com")
    page = admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    for field in ("first_name", "last_name", "company", "email", "address", "currency", "status"):
        assert f'id="profile-{field}"' in page and f'for="profile-{field}"' in page
    answer = _save(admin, cid, first_name="Augusta", company="Analytical Engines Ltd", email="Augusta@Example.com",
                   address=" 12 St James's Square \n\n London ", currency="EUR", status="Inactive")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/admin/clients/{cid}#profile")
    row = _client(web_host, cid)
    assert (row.first_name, row.company, row.email, row.address, row.status) == (
        "Augusta", "Analytical Engines Ltd", "augusta@example.com", "12 St James's Square\nLondon",
        ClientStatus.INACTIVE)
    assert row.currency.code == "EUR"
    assert _log(web_host, cid)[-1] == ("boss", (
        f"Client Augusta Lovelace (#{cid}): first name changed from Ada to Augusta; company changed from (empty) "
        "to Analytical Engines Ltd; address changed from (empty) to 12 St James's Square, London; email changed "
        "from ada@example.com to augusta@example.com; currency changed from USD to EUR; status changed from "
        "Active to Inactive"))
    # client_edit and client_status_change fired once each, after the commit
    names = [c[0] for c in demo.calls if c[0] in ("client_edit", "client_status_change")]
    assert names == ["client_edit", "client_status_change"]
    assert "Profile saved." in admin.get(f"/admin/clients/{cid}").get_data(as_text=True)


def test_a_save_that_changes_nothing_logs_nothing_and_says_so(admin, web_host) -> None:
    cid = add_client(web_host, "ada@example.com")
    before = _log(web_host, cid)
    answer = _save(admin, cid, email=" ADA@example.com ", first_name="Ada ")
    assert answer.status_code == 302
    assert _log(web_host, cid) == before
    assert "No change." in admin.get(f"/admin/clients/{cid}").get_data(as_text=True)


def test_every_problem_is_shown_under_its_field_at_once_and_nothing_is_saved(admin, web_host) -> None:
    cid = add_client(web_host, "ada@example.com")
    add_client(web_host, "bob@example.com", "Bob", "Other")
    before = _log(web_host, cid)
    answer = _save(admin, cid, first_name=" ", last_name="L" * 101, email="not-an-email", status="Asleep",
                   address="\n".join(f"line {n}" for n in range(9)), company="Kept Ltd")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "correct the 5 fields marked below" in page
    for field, message in (("first_name", "First name: must not be empty"),
                           ("last_name", "Last name: is too long (at most 100 characters)"),
                           ("email", "Email address: enter a valid email address"),
                           ("status", "Status: choose Active, Inactive or Closed"),
                           ("address", "Address: at most 8 lines")):
        assert f'<span class="field-error" id="profile-{field}-error">{message}</span>' in page
        assert f'aria-describedby="profile-{field}-error"' in page
    assert 'value="Kept Ltd"' in page  # what was typed comes back
    row = _client(web_host, cid)
    assert (row.first_name, row.company, row.email) == ("Ada", "", "ada@example.com")
    assert _log(web_host, cid) == before
    taken = _save(admin, cid, email="bob@example.com")
    assert taken.status_code == 400
    assert "Email address: another account uses this email address" in taken.get_data(as_text=True)
    assert _client(web_host, cid).email == "ada@example.com"


def test_the_currency_follows_the_no_invoices_rule(admin, web_host) -> None:
    cid = add_client(web_host, "ada@example.com")
    add_invoice(web_host, cid, "5.00")
    page = admin.get(f"/admin/clients/{cid}").get_data(as_text=True)
    assert 'id="profile-currency"' not in page and "no invoices and no credit" in page
    answer = _save(admin, cid, currency="EUR", company="Still Refused Ltd")
    assert answer.status_code == 400
    assert "Currency: the client has 1 invoice(s)" in answer.get_data(as_text=True)
    row = _client(web_host, cid)
    assert (row.currency.code, row.company) == ("USD", "")
    # a form without the currency (the page shows none) saves the rest
    form = {k: v for k, v in FORM.items() if k != "currency"}
    saved = post_form(admin, f"/admin/clients/{cid}/profile", {**form, "company": "Saved Ltd"},
                      token_from=f"/admin/clients/{cid}")
    assert saved.status_code == 302 and _client(web_host, cid).company == "Saved Ltd"


def test_closing_through_the_profile_logs_the_client_out_and_needs_csrf(admin, anon, web_host) -> None:
    from tests.web.conftest import login_client

    cid = add_client(web_host, "ada@example.com")
    assert login_client(anon, "ada@example.com").status_code == 302
    assert admin.post(f"/admin/clients/{cid}/profile", data={**FORM, "status": "Closed"}).status_code == 400
    assert _client(web_host, cid).status is ClientStatus.ACTIVE
    assert _save(admin, cid, status="Closed").status_code == 302
    assert _client(web_host, cid).status is ClientStatus.CLOSED
    assert anon.get("/clientarea").status_code == 302  # the client's session ended
    assert post_form(admin, "/admin/clients/99999/profile", FORM, token_from=f"/admin/clients/{cid}").status_code == 404
