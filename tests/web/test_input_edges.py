"""The one input check (hostsim/web/forms.py): control characters, lone surrogates and invalid
UTF-8 in any form field or query-string argument answer 400 with the area's error page naming the
field, before any view runs, so nothing is saved; on every backend (PostgreSQL refused a NUL with
a 500, SQLite stored it)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hostsim.db.models import ActivityLog, Client, HostSetting, LoginFailure
from hostsim.host import Host
from hostsim.web.forms import HOST_LABELS, declare_fields, declared_fields, humanise, text_problem
from tests.web.conftest import ADMIN_PASSWORD, CLIENT_PASSWORD, activate, add_client, csrf_of, login_client, post_form

REFUSED_SINGLE_LINE = ["\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x80", "\x9f", "\ud800", "\udfff",
                       "\ufffd"]
ALLOWED = ["", "Zoë", "李", "😀", "a b", "\u00a0", "\u00a0é", "O'Brien & Co. <b>", "x" * 500]
MESSAGE = "contains a character that is not allowed"


def count(host: Host, model: Any) -> int:
    with host.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def refused(response: Any, label: str, status: int = 400) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert f"{label} {MESSAGE}" in html or f"{label} in the page address {MESSAGE}" in html, html
    assert "Traceback" not in html
    return html


# --- the check itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("char", REFUSED_SINGLE_LINE)
def test_control_characters_surrogates_and_replacement_are_refused_in_a_line(char: str) -> None:
    assert text_problem(f"Ada{char}Lovelace") is not None


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_a_multi_line_field_allows_tab_and_line_breaks(char: str) -> None:
    assert text_problem(f"line one{char}line two", multiline=True) is None


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x0c", "\x7f", "\x85", "\ud83d"])
def test_a_multi_line_field_refuses_the_other_controls(char: str) -> None:
    assert text_problem(f"a{char}b", multiline=True) is not None


@pytest.mark.parametrize("value", ALLOWED)
def test_ordinary_text_of_any_script_is_allowed(value: str) -> None:
    assert text_problem(value) is None


def test_a_problem_names_the_character() -> None:
    assert text_problem("a\x00") == "a control character (U+0000)"
    assert text_problem("\udc80") == "a lone surrogate (U+DC80)"


def test_field_names_in_words() -> None:
    assert HOST_LABELS["first_name"] == "First name"
    assert humanise("lookback_months") == "Lookback months"
    assert humanise("") == "A field"


def test_an_addon_declares_its_labels_and_multi_line_fields() -> None:
    declare_fields("edgecase", {"note": "Private note"}, multiline=["note"])
    assert declared_fields("edgecase").labels("note") == "Private note"
    assert declared_fields("edgecase").labels("other") is None
    assert declared_fields("edgecase").multiline == frozenset({"note"})
    declare_fields("edgecase", lambda name: f"Price of {name[6:]}" if name.startswith("price_") else None)
    assert declared_fields("edgecase").labels("price_EUR") == "Price of EUR"
    assert declared_fields("edgecase").multiline == frozenset()
    assert declared_fields("never-declared").labels("note") is None


# --- the five forms of the issue (the addon's signup is in tests/fuzz) -----------------------------


def test_register_with_a_nul_is_refused_and_creates_no_client(anon: FlaskClient, web_host: Host) -> None:
    logged = count(web_host, ActivityLog)
    response = post_form(anon, "/register", {"first_name": "Ada\x00", "last_name": "Lovelace",
                                             "email": "ada@example.com", "password": "Xy-Pass-9876!",
                                             "currency": "USD"})
    html = refused(response, "First name")
    assert 'class="error-code"' in html  # the themed page of the client area
    assert count(web_host, Client) == 0
    assert count(web_host, ActivityLog) == logged


def test_client_login_with_a_nul_is_refused_and_records_no_failure(anon: FlaskClient, web_host: Host) -> None:
    add_client(web_host, "ada@example.com")
    refused(post_form(anon, "/login", {"email": "ada@example.com\x00", "password": CLIENT_PASSWORD}), "Email address")
    refused(post_form(anon, "/login", {"email": "ada@example.com", "password": "pw\x00"}), "Password")
    assert count(web_host, LoginFailure) == 0
    assert login_client(anon, "ada@example.com").status_code == 302  # the form still works


def test_admin_login_with_a_nul_is_refused_with_the_admin_error_page(anon: FlaskClient, web_host: Host) -> None:
    logged = count(web_host, ActivityLog)
    html = refused(post_form(anon, "/admin/login", {"username": "boss\x00", "password": ADMIN_PASSWORD}), "Username")
    assert "Back to the dashboard" in html  # the admin area's page, not the theme's
    assert count(web_host, LoginFailure) == 0
    assert count(web_host, ActivityLog) == logged


def test_account_details_with_a_nul_change_nothing(anon: FlaskClient, web_host: Host) -> None:
    client_id = add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    refused(post_form(anon, "/clientarea/details", {"first_name": "Ada", "last_name": "Byron", "company": "AE\x00",
                                                    "email": "ada@example.com"}), "Company")
    with web_host.sessions() as s:
        row = s.get(Client, client_id)
        assert row is not None and (row.last_name, row.company) == ("Lovelace", "")


def test_general_settings_with_a_control_character_change_nothing(admin: FlaskClient, web_host: Host) -> None:
    before = count(web_host, HostSetting)
    refused(post_form(admin, "/admin/settings", {"company_name": "Acme", "smtp_host": "mail\x07.example.com"}),
            "SMTP host")
    assert count(web_host, HostSetting) == before
    assert web_host.settings.get("company_name") != "Acme"


def test_add_payment_with_a_control_character_adds_nothing(admin: FlaskClient, web_host: Host) -> None:
    from tests.web.conftest import add_invoice
    invoice_id = add_invoice(web_host, add_client(web_host, "ada@example.com"))
    refused(post_form(admin, f"/admin/invoices/{invoice_id}",
                      {"amount": "10.00", "gateway": "manual", "transaction_id": "T\x9b1"}), "Transaction ID")
    assert web_host.invoices.get(invoice_id).status.value == "Unpaid"  # type: ignore[union-attr]


# --- every kind of refused input, everywhere -------------------------------------------------------


def test_every_refused_character_answers_400_naming_the_field(anon: FlaskClient, web_host: Host) -> None:
    # Lone surrogates cannot be sent over HTTP (they are not UTF-8): the percent-encoded and
    # multipart tests below send their bytes, and the command-line tests pass them as arguments.
    for char in [c for c in REFUSED_SINGLE_LINE if not 0xD800 <= ord(c) <= 0xDFFF]:
        response = post_form(anon, "/register", {"first_name": "Ada", "last_name": f"Love{char}lace",
                                                 "email": "ada@example.com", "password": "Xy-Pass-9876!"})
        refused(response, "Last name")
    assert count(web_host, Client) == 0


def test_percent_encoded_bytes_that_are_not_utf8_are_refused(anon: FlaskClient, web_host: Host) -> None:
    for encoded in ["%FF", "%ED%A0%80", "%C3", "%80abc"]:
        token = csrf_of(anon.get("/register").data)
        body = (f"csrf_token={token}&first_name=Ada&last_name=L{encoded}&email=ada%40example.com"
                "&password=Xy-Pass-9876%21").encode()
        response = anon.post("/register", data=body, content_type="application/x-www-form-urlencoded")
        refused(response, "Last name")
    assert count(web_host, Client) == 0


def test_a_multipart_form_with_invalid_utf8_is_refused(anon: FlaskClient, web_host: Host) -> None:
    token = csrf_of(anon.get("/register").data)
    boundary = "XyZ"
    parts = [("csrf_token", token.encode()), ("first_name", b"Ada\xff"), ("last_name", b"Lovelace"),
             ("email", b"ada@example.com"), ("password", b"Xy-Pass-9876!")]
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode() + v + b"\r\n"
                    for n, v in parts) + f"--{boundary}--\r\n".encode()
    response = anon.post("/register", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    refused(response, "First name")
    assert count(web_host, Client) == 0


def test_a_refused_field_name_is_not_repeated(anon: FlaskClient, web_host: Host) -> None:
    response = post_form(anon, "/register", {"first\x00name": "Ada", "last_name": "Lovelace",
                                             "email": "ada@example.com", "password": "Xy-Pass-9876!"})
    refused(response, "A field name")
    assert count(web_host, Client) == 0


def test_ordinary_unicode_is_saved(anon: FlaskClient, web_host: Host) -> None:
    response = post_form(anon, "/register", {"first_name": "Zoë 李", "last_name": "O'Brien 😀", "company": "Ärzte\u00a0AG",
                                             "email": "zoe@example.com", "password": "Xy-Pass-9876!"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with web_host.sessions() as s:
        row = s.scalars(select(Client)).one()
        assert (row.first_name, row.last_name, row.company) == ("Zoë 李", "O'Brien 😀", "Ärzte\u00a0AG")


# --- the Addon Modules page: the addon's own words, and its textarea ---------------------------------


def configure(admin: FlaskClient, data: dict[str, Any]) -> Any:
    return post_form(admin, "/admin/addonmodules/demo/configure", {"cfg_mode": "live", "cfg_colour": "red", **data},
                     token_from="/admin/addonmodules")


def test_an_addon_setting_is_named_by_its_friendly_name(admin: FlaskClient, web_host: Host) -> None:
    activate(web_host)
    refused(configure(admin, {"cfg_api_user": "ad\x00min"}), "API User")
    assert web_host.addon_settings.get_all("demo")["api_user"] == "admin"


def test_a_textarea_setting_keeps_its_line_breaks_and_tabs(admin: FlaskClient, web_host: Host) -> None:
    activate(web_host)
    response = configure(admin, {"cfg_notes": "line one\r\n\tline two", "cfg_api_user": "ops"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert web_host.addon_settings.get_all("demo")["notes"].splitlines() == ["line one", "\tline two"]


def test_a_textarea_setting_refuses_other_controls(admin: FlaskClient, web_host: Host) -> None:
    activate(web_host)
    refused(configure(admin, {"cfg_notes": "bell\x07", "cfg_api_user": "ops"}), "Notes")
    assert web_host.addon_settings.get_all("demo")["api_user"] == "admin"


def test_a_text_setting_refuses_a_line_break(admin: FlaskClient, web_host: Host) -> None:
    activate(web_host)
    refused(configure(admin, {"cfg_api_user": "two\nlines"}), "API User")


def test_an_addon_page_form_and_its_blueprint_are_checked_with_the_addons_words(admin: FlaskClient, anon: FlaskClient,
                                                                                web_host: Host) -> None:
    activate(web_host)
    declare_fields("demo", {"note": "Admin note", "word": "Magic word"})
    try:
        refused(post_form(admin, "/admin/addonmodules.php?module=demo", {"note": "hi\x00"}), "Admin note")
        token = csrf_of(anon.get("/register").data)
        refused(anon.post("/modules/addons/demo/echo", data={"word": "\x1b[31m", "csrf_token": token}), "Magic word")
        refused(anon.post("/index.php?m=demo", data={"word": "\x00", "csrf_token": token}), "Magic word")
    finally:
        declare_fields("demo", {})
    # Without a declaration the field name is put in words.
    refused(post_form(admin, "/admin/addonmodules.php?module=demo", {"note": "hi\x00"}), "Note")


def test_a_token_api_is_left_to_answer_its_own_errors(anon: FlaskClient, web_host: Host) -> None:
    activate(web_host, "apiaddon")
    response = anon.post("/modules/addons/apiaddon/hook?x=%00", json={"a": "\u0000"},
                         headers={"Authorization": "Bearer t0ken"})
    assert response.status_code == 200
    assert response.get_json() == {"received": {"a": "\x00"}}


# --- query strings -----------------------------------------------------------------------------


def test_admin_list_query_strings(admin: FlaskClient) -> None:
    for query in ["q=%00", "q=a%0Ab", "page=%00", "page=1%7F", "status=%C2%85", "q=%FF", "q=%ED%A0%80"]:
        html = refused(admin.get(f"/admin/clients?{query}"), HOST_LABELS[query.split("=")[0]])
        assert "in the page address" in html


def test_query_strings_of_public_pages(anon: FlaskClient) -> None:
    for url in ["/login?next=/clientarea%00", "/login?next=%0D%0ASet-Cookie:x=1", "/admin/login?next=/admin/%1B",
                "/index.php?m=%00", "/admin/invoices?status=%00"]:
        response = anon.get(url)
        assert response.status_code == 400, url
        assert MESSAGE in response.get_data(as_text=True)
        assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_a_raw_query_string_that_is_not_utf8_is_refused(anon: FlaskClient) -> None:
    response = anon.get("/login", environ_overrides={"QUERY_STRING": "next=/\xff"})  # raw, not percent-encoded
    assert response.status_code == 400
    assert MESSAGE in response.get_data(as_text=True)


def test_ordinary_and_odd_query_strings_still_work(admin: FlaskClient) -> None:
    for url in ["/admin/clients?q=Zo%C3%AB", "/admin/clients?page=99999999999999999999999", "/admin/clients?page=-5",
                "/admin/invoices?page=%E2%91%A0", "/admin/activity?page=1e9"]:
        assert admin.get(url).status_code == 200, url


def test_a_refusal_after_a_login_keeps_the_session(anon: FlaskClient, web_host: Host) -> None:
    add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    assert anon.get("/clientarea?x=%00").status_code == 400
    assert anon.get("/clientarea").status_code == 200


# --- ids in the page address ---------------------------------------------------------------------


@pytest.mark.parametrize("number", ["99999999999999999999", str(2**63), str(2**31)])
def test_an_id_beyond_any_integer_column_in_the_address_is_a_404(admin: FlaskClient, anon: FlaskClient,
                                                                 web_host: Host, number: str) -> None:
    """Every ``<int:...>`` route, the host's and the addons': SQLite could not even bind the number
    (a 500), and it names no row on any backend."""
    add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    token = csrf_of(admin.get("/admin/").data)
    before = count(web_host, ActivityLog)
    for path in (f"/admin/clients/{number}", f"/admin/invoices/{number}", f"/admin/invoices/{number}/pdf"):
        assert admin.get(path).status_code == 404, path
    for path in (f"/admin/clients/{number}/credit", f"/admin/clients/{number}/profile", f"/admin/clients/{number}/close",
                 f"/admin/clients/{number}/currency", f"/admin/invoices/{number}/refund"):
        assert admin.post(path, data={"csrf_token": token, "amount": "1", "direction": "add", "reason": "x"}
                          ).status_code == 404, path
    token = csrf_of(anon.get("/clientarea").data)
    assert anon.get(f"/clientarea/invoices/{number}").status_code == 404
    assert anon.post(f"/clientarea/invoices/{number}/apply-credit", data={"csrf_token": token}).status_code == 404
    assert count(web_host, ActivityLog) == before
