"""The SolusIO addon's forms (admin tabs: connection, post-pay, prices, exempt switch; client area:
signup, the emailed link, enrolment, retry, single sign-on; the panel's actions on the admin client
page, SolusIO answering, refusing or gone) and the query strings its pages read, fed arbitrary text
against the simulator: no 5xx, no traceback, saved whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from sqlalchemy import func, select

import solusio_addon.plugin
from hostsim.db.models import AddonSetting, Client
from hostsim.host import Host
from hostsim.services.bootstrap import create_admin
from hostsim.services.clients import ClientError, create_client, normalise_email
from hostsim.web import create_app
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_panel import STATUS_ACTIONS
from solusio_addon.admin.enrolments import create_pending
from solusio_addon.db.models import Enrolment, EnrolmentStatus, Signup, TokenPrice
from solusio_sim import SimServer
from tests.fuzz.conftest import Tally, fuzzing, snapshot, unchanged, whole
from tests.fuzz.harness import csrf_of, get, post
from tests.fuzz.strategies import arbitrary_text, field_value, form_values

ADMIN_PASSWORD = "Admin-Pass-1234"
CLIENT_PASSWORD = "Client-Pass-123"
SIGNUP_PASSWORD = "Cloud-Pass-456!"
PAGE = "/admin/addonmodules.php?module=solusio"
LANDING = "/index.php?m=solusio"
MOUNT = "/modules/addons/solusio"


@dataclass
class Addon:
    host: Host
    sim: SimServer
    app: Flask
    admin: FlaskClient
    admin_token: str
    client: FlaskClient
    client_token: str
    client_id: int
    enrolled_id: int

    @property
    def api(self) -> Any:
        return self.host.addon_api


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        server.state.add_limit_group("Starter", vms=2)
        server.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
        yield server


def _client(host: Host, email: str) -> int:
    with host.transaction() as s:
        return create_client(s, first_name="Ada", last_name="Lovelace", email=email, password=CLIENT_PASSWORD,
                             email_verified=True, now=host.clock.now()).id


def _login(client: FlaskClient, url: str, data: dict[str, str]) -> None:
    response = client.post(url, data={"csrf_token": csrf_of(client, url), **data})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def addon(make_host: Callable[..., Host], sim: SimServer) -> Addon:
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    api = host.addon_api
    addon_settings.save_connection(api, addon_settings.ConnectionSettings(url=sim.url, api_key=sim.admin_token,
                                                                          proxy_mode="direct"))
    addon_settings.save_postpay(api, addon_settings.PostPaySettings(limit_group_id=1,
                                                                    terms_url="https://example.com/terms"))
    host.settings.set_many({"tos_url": "https://example.com/tos"})
    rows = pricing.active_prices(api)
    pricing.save_prices(api, {r.currency_id: Decimal("0.0010") for r in rows})
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    from sqlalchemy import select as sql_select

    from hostsim.db.models import AdminRole
    with host.sessions() as s:
        roles = list(s.scalars(sql_select(AdminRole.id).where(AdminRole.name == "Full Administrator")))
    host.lifecycle.set_access("solusio", set(roles))
    client_id = _client(host, "ada@example.com")
    enrolled_id = _client(host, "bob@example.com")
    with host.transaction() as s:
        enrolment = create_pending(api, s, enrolled_id, "", ip="127.0.0.1")
        enrolment.status, enrolment.solusio_user_id = EnrolmentStatus.ACTIVE, 4242
    app = create_app(host)
    admin = app.test_client()
    _login(admin, "/admin/login", {"username": "boss", "password": ADMIN_PASSWORD})
    client = app.test_client()
    _login(client, "/login", {"email": "ada@example.com", "password": CLIENT_PASSWORD})
    return Addon(host, sim, app, admin, csrf_of(admin, PAGE), client, csrf_of(client, LANDING), client_id, enrolled_id)


def solusio_rows(model: Any) -> Any:
    return model.module == "solusio" if model is AddonSetting else None


# --- the fifth form, and an id beyond any integer: plain tests on every backend ----------------


def test_signup_with_a_nul_is_refused_and_stores_nothing(addon: Addon) -> None:
    visitor = addon.app.test_client()
    response = visitor.post(f"{MOUNT}/signup", data={"csrf_token": csrf_of(visitor, LANDING), "first_name": "Gr\x00ace",
                                                     "last_name": "Hopper", "email": "grace@example.com",
                                                     "password": SIGNUP_PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html
    assert "First name contains a character that is not allowed" in html
    with addon.host.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Signup)) == 0


def test_postpay_fields_are_named_in_the_addons_words(addon: Addon) -> None:
    response = addon.admin.post(PAGE, data={"csrf_token": addon.admin_token, "action": "postpay", "grace_days": "1\x00"})
    assert response.status_code == 400
    assert "Invoicing Grace Period contains a character that is not allowed" in response.get_data(as_text=True)
    response = addon.admin.post(PAGE, data={"csrf_token": addon.admin_token, "action": "prices", "price_EUR": "\x1b"})
    assert "Token price (EUR) contains a character that is not allowed" in response.get_data(as_text=True)


def test_exempt_with_a_client_id_beyond_any_integer_saves_nothing(addon: Addon) -> None:
    for client_id in ("99999999999999999999", str(2**31), "-1", "\u0661"):
        response = addon.admin.post(PAGE, data={"csrf_token": addon.admin_token, "action": "exempt",
                                                "client_id": client_id, "exempt": "1"})
        assert response.status_code == 200, (client_id, response.status_code)
        assert "Nothing was saved: that client is not enrolled." in response.get_data(as_text=True)
    with addon.host.sessions() as s:
        assert not s.scalars(select(Enrolment.exempt_from_overdue)).one()


# --- the admin tabs --------------------------------------------------------------------------------------

CONNECTION = {"action": "connection", "url": "", "api_key": "", "tls_mode": "verify", "ca_bundle": "",
              "login_url_template": "", "proxy_mode": "direct", "proxy_url": ""}


def check_connection_form(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(CONNECTION), label="fields")
    use_sim = data.draw(st.booleans(), label="use_sim")
    fields["action"] = "connection"
    if use_sim:
        fields.setdefault("url", addon.sim.url)
        if fields.get("url") == "":
            fields["url"] = addon.sim.url
    before = snapshot(addon.host, AddonSetting, where=solusio_rows)
    response = post(tally, addon.admin, PAGE + "&tab=settings", fields, addon.admin_token)
    after = snapshot(addon.host, AddonSetting, where=solusio_rows)
    what = f"connection {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    conn = addon_settings.load_connection(addon.api)
    expected = {"url": fields.get("url", "").strip().rstrip("/"), "tls_mode": (fields.get("tls_mode") or "verify").strip()}
    if "proxy_mode" in fields:
        expected["proxy_mode"] = fields["proxy_mode"].strip()
    stored = {"url": conn.url, "tls_mode": conn.tls_mode, "proxy_mode": conn.proxy_mode}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v})


POSTPAY = {"limit_group_id": "1", "terms_url": "https://example.com/t", "grace_days": "14", "lock_days": "7",
           "suspend_days": "14", "lookback_months": "2"}


def check_postpay_form(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(POSTPAY), label="fields")
    before = addon_settings.load_postpay(addon.api)
    response = post(tally, addon.admin, PAGE + "&tab=postpay", {"action": "postpay", **fields}, addon.admin_token)
    after = addon_settings.load_postpay(addon.api)
    what = f"post-pay {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    form = after.as_form()
    expected = {k: v.strip() for k, v in fields.items()}
    expected = {k: (str(int(v)) if k not in ("terms_url",) and v else v) for k, v in expected.items()}
    whole(tally, what, {k: (v, form[k]) for k, v in expected.items() if form[k] != v})


def check_prices_form(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    usd = data.draw(field_value("0.0020"), label="usd")
    eur = data.draw(field_value("0.0019"), label="eur")
    before = snapshot(addon.host, TokenPrice)
    response = post(tally, addon.admin, PAGE + "&tab=settings", {"action": "prices", "price_USD": usd, "price_EUR": eur},
                    addon.admin_token)
    after = snapshot(addon.host, TokenPrice)
    what = f"prices USD={usd!r} EUR={eur!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    stored = {r.code: r.price for r in pricing.active_prices(addon.api)}
    expected = {"USD": abs(Decimal(usd.strip())), "EUR": abs(Decimal(eur.strip()))}
    whole(tally, what, {k: (v, stored[k]) for k, v in expected.items() if stored[k] != v})


def check_exempt_switch(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values({"client_id": "", "exempt": "1", "status": "active", "page": "1"}), label="fields")
    valid_id = data.draw(st.booleans(), label="valid_id")
    if valid_id and fields.get("client_id", "") == "":
        fields["client_id"] = str(addon.enrolled_id)
    before = snapshot(addon.host, Enrolment)
    response = post(tally, addon.admin, PAGE + "&tab=billing", {"action": "exempt", **fields}, addon.admin_token)
    after = snapshot(addon.host, Enrolment)
    what = f"exempt {fields!r}"
    if response.status_code != 302:
        return unchanged(tally, what, before, after)
    with addon.host.sessions() as s:
        exempt = s.scalars(select(Enrolment.exempt_from_overdue).where(Enrolment.client_id == addon.enrolled_id)).one()
    whole(tally, what, {} if exempt == (fields["exempt"] == "1") else {"exempt": exempt})


def check_admin_page_query_strings(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    args_strategy = st.dictionaries(st.sampled_from(["tab", "status", "page", "saved", "x"]), field_value("billing"), max_size=3)
    args = data.draw(args_strategy, label="args")
    get(tally, addon.admin, PAGE, args)


# --- the client area ------------------------------------------------------------------------------------

SIGNUP = {"first_name": "Grace", "last_name": "Hopper", "company": "Navy Labs", "password": SIGNUP_PASSWORD}
emails = st.integers(0, 10**6).map(lambda n: f"visitor{n}@example.com")


def check_signup_form(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values(SIGNUP), label="fields")
    email = data.draw(st.one_of(emails, arbitrary_text), label="email")
    fields = {**fields, "email": email}
    visitor = addon.app.test_client()
    before = snapshot(addon.host, Signup, Client)
    response = post(tally, visitor, f"{MOUNT}/signup", fields, csrf_of(visitor, LANDING))
    after = snapshot(addon.host, Signup, Client)
    what = f"signup {fields!r}"
    if after == before:
        return
    # Refused (a 400, or the redirect back to the form that shows the problems: Post/Redirect/Get),
    # yet something was stored
    if response.status_code != 303 or 'id="signup-sent"' not in visitor.get(LANDING).get_data(as_text=True):
        return unchanged(tally, what, before, after)
    with addon.host.sessions() as s:
        row = s.scalars(select(Signup).order_by(Signup.id.desc())).first()
    assert row is not None
    try:
        expected_email = normalise_email(email)
    except ClientError:
        expected_email = "(refused)"
    mismatches = {} if row.email == expected_email else {"email": (expected_email, row.email)}
    if row.client_id is None:  # a new address: the typed names are kept for the account
        for key in ("first_name", "last_name", "company"):
            value = fields.get(key, "").strip()[:300]
            if getattr(row, key) != value:
                mismatches[key] = (value, getattr(row, key))
    whole(tally, what, mismatches)


def check_signup_link(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    token = data.draw(st.one_of(arbitrary_text, st.just("")), label="token")
    tos = data.draw(field_value("1"), label="tos")
    postpay = data.draw(field_value("1"), label="postpay")
    before = snapshot(addon.host, Signup, Client, Enrolment)
    get(tally, addon.client, f"{MOUNT}/signup/complete", {"token": token})
    post(tally, addon.client, f"{MOUNT}/signup/complete", {"token": token, "accept_tos": tos, "accept_postpay": postpay},
         addon.client_token)
    unchanged(tally, f"signup link {token!r}", before, snapshot(addon.host, Signup, Client, Enrolment))


def check_enrol_form(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    fields = data.draw(form_values({"password": SIGNUP_PASSWORD, "accept_tos": "1", "accept_postpay": "1"}), label="fields")
    before = snapshot(addon.host, Enrolment)
    post(tally, addon.client, f"{MOUNT}/enrol", fields, addon.client_token)
    after = snapshot(addon.host, Enrolment)
    if before == after:
        return
    with addon.host.sessions() as s:
        mine = s.scalars(select(Enrolment).where(Enrolment.client_id == addon.client_id)).first()
    ok = (mine is not None and len(after["mod_solusio_enrolments"]) == len(before["mod_solusio_enrolments"]) + 1
          and fields.get("accept_tos") == "1")
    whole(tally, f"enrol {fields!r}", {} if ok else {"enrolment": mine})


def check_client_buttons_and_pages(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    extra = data.draw(st.dictionaries(arbitrary_text, arbitrary_text, max_size=2), label="extra")
    args = data.draw(st.dictionaries(st.sampled_from(["currency", "action", "m", "x"]), field_value("EUR"), max_size=2), label="args")
    before = snapshot(addon.host, Enrolment, Signup)
    for path in ("retry", "sso"):
        post(tally, addon.client, f"{MOUNT}/{path}", extra, addon.client_token)
    unchanged(tally, f"retry/sso {extra!r}", before, snapshot(addon.host, Enrolment, Signup))
    get(tally, addon.client, LANDING, args)
    get(tally, addon.app.test_client(), LANDING, args)


# --- the SolusIO panel on the admin client page: its actions, SolusIO answering or not ------------------

PANEL_ACTIONS = [*STATUS_ACTIONS, "exempt_on", "exempt_off", "resync_email"]
#: Ids a URL path may carry that name no client: beyond any INTEGER column, zero, not a number.
ODD_IDS = ["99999999999999999999", str(2**31), "0", "-1", "abc", "%00"]


@dataclass
class Panel:
    addon: Addon
    carl: int  # enrolled, with a user in the simulator: every action reaches SolusIO
    carl_user: int


@pytest.fixture
def panel(addon: Addon) -> Panel:
    carl = _client(addon.host, "carl@example.com")
    user = addon.sim.state.add_user("carl@example.com", billing_user_id=carl)
    with addon.host.transaction() as s:
        enrolment = create_pending(addon.api, s, carl, "", ip="127.0.0.1")
        enrolment.status, enrolment.solusio_user_id = EnrolmentStatus.ACTIVE, user.id
    return Panel(addon, carl, user.id)


def check_client_panel(panel: Panel, tally: Tally, data: st.DataObject) -> None:
    addon = panel.addon
    who = data.draw(st.sampled_from(["carl", "carl", "carl", "bob", "ada", "odd"]), label="client")
    cid = {"carl": panel.carl, "bob": addon.enrolled_id, "ada": addon.client_id}.get(who)
    url_id = str(cid) if cid is not None else data.draw(st.sampled_from(ODD_IDS), label="odd_id")
    action = data.draw(st.integers(0, 3).flatmap(lambda n: arbitrary_text if n == 0 else st.sampled_from(PANEL_ACTIONS)),
                       label="action")
    if who == "carl" and data.draw(st.booleans(), label="applies"):  # a change Carl's status allows
        with addon.host.sessions() as s:
            now = s.scalars(select(Enrolment.status).where(Enrolment.client_id == panel.carl)).one()
        applies = [a for a, (_to, froms, _w) in STATUS_ACTIONS.items() if now in froms]
        # the same draw whatever the status (Hypothesis replays an example against another state)
        action = applies[data.draw(st.integers(0, len(STATUS_ACTIONS) - 1), label="status_action") % len(applies)]
    extra = data.draw(st.integers(0, 3).flatmap(
        lambda n: st.dictionaries(arbitrary_text, arbitrary_text, min_size=1, max_size=1) if n == 0 else st.just({})),
        label="extra")
    fault = data.draw(st.sampled_from([None, None, None, 500, 422, "drop"]), label="fault")
    if fault is not None:  # SolusIO refuses or is gone for this request (retries included)
        addon.sim.faults.fail_next(count=20, path_prefix="users", status=fault if isinstance(fault, int) else 500,
                                   drop=fault == "drop")
    before = snapshot(addon.host, Enrolment)
    try:
        response = post(tally, addon.admin, f"{MOUNT}/admin/clients/{url_id}/enrolment", {"action": action, **extra},
                        addon.admin_token)
        if cid is not None:
            get(tally, addon.admin, f"/admin/clients/{cid}", {})  # the panel, read from SolusIO (or not) now
    finally:
        addon.sim.faults.rules.clear()
    after = snapshot(addon.host, Enrolment)
    what = f"panel {url_id} {action!r} {extra!r} fault {fault}"
    if cid is None and response.status_code not in (400, 404, 405):
        raise AssertionError(tally.partial(f"{what}: answered {response.status_code} for no such client"))
    if cid is None or response.status_code != 302 or action not in PANEL_ACTIONS:
        return unchanged(tally, what, before, after)
    with addon.host.sessions() as s:
        carl = s.scalars(select(Enrolment).where(Enrolment.client_id == panel.carl)).one()
        mine = s.scalars(select(Enrolment).where(Enrolment.client_id == cid)).first()
    remote = addon.sim.state.get_user(panel.carl_user).status
    if carl.status.value != remote:  # SolusIO first, then the host: never one without the other
        raise AssertionError(tally.partial(f"{what}: the host has {carl.status.value}, SolusIO {remote}"))
    if action.startswith("exempt_") and mine is not None and mine.exempt_from_overdue != (action == "exempt_on"):
        raise AssertionError(tally.partial(f"{what}: exempt is {mine.exempt_from_overdue}"))
    if action in STATUS_ACTIONS and (cid != panel.carl or fault is not None):
        unchanged(tally, what, before, after)  # no SolusIO user, or SolusIO did not take it


# --- the tests: each draws a form (or page) per example ------------------------------------------------

ADMIN_TABS = [check_connection_form, check_postpay_form, check_prices_form, check_exempt_switch,
              check_admin_page_query_strings]
CLIENT_AREA = [check_signup_form, check_signup_link, check_enrol_form, check_client_buttons_and_pages]


@fuzzing(len(ADMIN_TABS))
def test_admin_tabs(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(ADMIN_TABS), label="form")(addon, tally, data)


@fuzzing(len(CLIENT_AREA))
def test_client_area(addon: Addon, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(CLIENT_AREA), label="form")(addon, tally, data)


@fuzzing(2)  # the panel's actions, against SolusIO answering, refusing or gone
def test_admin_client_panel(panel: Panel, tally: Tally, data: st.DataObject) -> None:
    check_client_panel(panel, tally, data)
