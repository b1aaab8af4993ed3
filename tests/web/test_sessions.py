"""Sessions are revocable: a copy of a session cookie is refused after every event that ends the
login, in both areas, whether the copy is used on the same app or on another app instance over
the same database (another web worker).

Each test logs in with one test client, copies its cookie into a second client (of the same app,
or of a second ``create_app`` over another Host on the same database), checks the copy works,
ends the login one way, and checks the copy (and the original, where it should be) is refused.
Time moves by the host's clock, never by sleeping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.clock import Clock
from hostsim.db.models import Admin, ClientStatus, WebSession
from hostsim.host import Host
from hostsim.services.clients import update_client
from hostsim.services.sessions import prune_expired
from hostsim.web import SESSION_COOKIE, create_app
from tests.web.conftest import ADMIN_PASSWORD, CLIENT_PASSWORD, add_client, login_admin, login_client, post_form

NEW_PASSWORD = "Brand-New-Pass-456"


@dataclass(frozen=True)
class Area:
    name: str
    page: str  # a page only a logged-in user of the area sees
    login_path: str
    logout: str
    logout_token_from: str
    password: str
    password_token_from: str
    logout_all: str

    def login(self, client: FlaskClient, password: str | None = None):
        if self.name == "admin":
            return login_admin(client, password=password or ADMIN_PASSWORD)
        return login_client(client, "ada@example.com", password=password or CLIENT_PASSWORD)


ADMIN = Area("admin", "/admin/clients", "/admin/login", "/admin/logout", "/admin/", "/admin/profile", "/admin/profile",
             "/admin/profile/logout-all")
CLIENT = Area("client", "/clientarea/invoices", "/login", "/logout", "/logout", "/clientarea/details/password",
              "/clientarea/details", "/clientarea/details/logout-all")
AREAS = {"admin": ADMIN, "client": CLIENT}


@pytest.fixture
def session_clock() -> Clock:
    """The clock of session lifetimes, moved by the tests (the host's clock is not used for them)."""
    return Clock()


@pytest.fixture
def app(web_host: Host, session_clock: Clock) -> Flask:
    return create_app(web_host, config={"HOSTSIM_SESSION_CLOCK": session_clock})


@pytest.fixture
def ada(web_host: Host) -> int:
    return add_client(web_host, "ada@example.com")


@pytest.fixture(params=["same-app", "other-app"])
def second_app(request: pytest.FixtureRequest, app: Flask, make_host: Callable[..., Host], session_clock: Clock) -> Flask:
    """The app the copied cookie is used on: the same one, or a second instance on the same database."""
    if request.param == "same-app":
        return app
    return create_app(make_host(), config={"HOSTSIM_SESSION_CLOCK": session_clock})


def allowed(client: FlaskClient, area: Area) -> bool:
    response = client.get(area.page)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith(area.login_path), response.status
    return False


def copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """A second browser holding the same session cookie (the cookie was copied)."""
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(SESSION_COOKIE, cookie.value)
    return thief


def logged_in_pair(area: Area, app: Flask, second_app: Flask) -> tuple[FlaskClient, FlaskClient]:
    owner = app.test_client()
    assert area.login(owner).status_code == 302
    thief = copy_of(owner, second_app)
    assert allowed(owner, area) and allowed(thief, area)
    return owner, thief


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_a_copied_cookie_is_refused_after_logout(area, app, second_app, ada):
    owner, thief = logged_in_pair(area, app, second_app)
    assert post_form(owner, area.logout, token_from=area.logout_token_from).status_code == 302
    assert not allowed(thief, area)
    assert not allowed(owner, area)


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_a_copied_cookie_is_refused_after_a_password_change(area, app, second_app, ada, web_host):
    owner, thief = logged_in_pair(area, app, second_app)
    elsewhere = app.test_client()  # another login of the same account, on another device
    assert area.login(elsewhere).status_code == 302
    response = post_form(owner, area.password, {"current_password": ADMIN_PASSWORD if area is ADMIN else CLIENT_PASSWORD,
                                                "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
                         token_from=area.password_token_from)
    assert response.status_code == 302, response.text
    assert not allowed(thief, area) and not allowed(elsewhere, area)
    assert allowed(owner, area)  # the browser that changed it stays in, under a new id
    assert owner.get_cookie(SESSION_COOKIE).value != thief.get_cookie(SESSION_COOKIE).value
    # The new password works and the old one does not.
    assert area.login(app.test_client()).status_code == 200
    assert area.login(app.test_client(), NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_a_password_change_needs_the_current_password_and_a_strong_new_one(area, app, ada):
    owner = app.test_client()
    area.login(owner)
    current = ADMIN_PASSWORD if area is ADMIN else CLIENT_PASSWORD
    cases = [({"current_password": "Wrong-Current-1", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
              "is not your current password"),
             ({"current_password": current, "new_password": "short", "confirm_password": "short"}, "at least 10 characters"),
             ({"current_password": current, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"},
              "does not match"),
             ({"current_password": current, "new_password": current, "confirm_password": current}, "must differ")]
    for data, message in cases:
        response = post_form(owner, area.password, data, token_from=area.password_token_from)
        assert response.status_code == 400 and message in response.text, (data, response.status_code)
        assert current not in response.text and NEW_PASSWORD not in response.text  # never shown back
    assert allowed(owner, area)
    assert area.login(app.test_client(), current).status_code == 302  # unchanged


def test_a_copied_admin_cookie_is_refused_once_the_admin_is_disabled(app, second_app, web_host):
    owner, thief = logged_in_pair(ADMIN, app, second_app)
    with web_host.transaction() as s:
        admin = s.scalars(select(Admin).where(Admin.username == "boss")).one()
        admin.is_active = False
    assert not allowed(thief, ADMIN) and not allowed(owner, ADMIN)
    assert login_admin(app.test_client()).status_code == 200  # and no new login either


@pytest.mark.parametrize("status", [ClientStatus.CLOSED, ClientStatus.INACTIVE])
def test_a_copied_client_cookie_is_refused_once_the_account_is_disabled(status, app, second_app, web_host, ada):
    owner, thief = logged_in_pair(CLIENT, app, second_app)
    update_client(web_host, ada, actor="Admin boss", status=status.value)
    assert not allowed(thief, CLIENT) and not allowed(owner, CLIENT)
    assert login_client(app.test_client(), "ada@example.com").status_code == 200
    update_client(web_host, ada, status=ClientStatus.ACTIVE.value)
    assert not allowed(thief, CLIENT)  # re-enabling the account does not bring old sessions back
    assert login_client(app.test_client(), "ada@example.com").status_code == 302


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_disabling_ends_sessions_at_once_not_only_when_next_used(area, app, second_app, web_host, ada):
    """Disabled and enabled again with no request in between: the old sessions stay ended."""
    owner, thief = logged_in_pair(area, app, second_app)
    with web_host.transaction() as s:
        if area is ADMIN:
            s.scalars(select(Admin).where(Admin.username == "boss")).one().is_active = False
        else:
            update_client(web_host, ada, status=ClientStatus.CLOSED.value, session=s)
    with web_host.transaction() as s:
        if area is ADMIN:
            s.scalars(select(Admin).where(Admin.username == "boss")).one().is_active = True
        else:
            update_client(web_host, ada, status=ClientStatus.ACTIVE.value, session=s)
    assert not allowed(thief, area) and not allowed(owner, area)


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_a_password_set_anywhere_else_ends_the_sessions(area, app, second_app, web_host, ada):
    """A password changed outside the profile pages (the command line, an addon) ends the logins too."""
    from hostsim.db.models import Client
    from hostsim.services.passwords import hash_password
    owner, thief = logged_in_pair(area, app, second_app)
    with web_host.transaction() as s:
        account = s.scalars(select(Admin).where(Admin.username == "boss")).one() if area is ADMIN else s.get(Client, ada)
        account.password_hash = hash_password(NEW_PASSWORD)
    with web_host.sessions() as s:
        assert s.scalars(select(WebSession).where(getattr(WebSession, f"{area.name}_id").is_not(None))).all() == []
    assert not allowed(thief, area) and not allowed(owner, area)


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_log_out_all_sessions_ends_every_session_of_the_account(area, app, second_app, ada):
    owner, thief = logged_in_pair(area, app, second_app)
    elsewhere = app.test_client()
    assert area.login(elsewhere).status_code == 302
    page = owner.get(area.password_token_from)
    assert 'id="session-count">2<' in page.text  # the owner's (shared with the thief) and elsewhere's
    response = post_form(owner, area.logout_all, token_from=area.password_token_from)
    assert response.status_code == 302 and response.headers["Location"] == area.login_path
    assert not allowed(thief, area) and not allowed(elsewhere, area) and not allowed(owner, area)


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_a_login_ends_after_its_idle_time(area, app, second_app, ada, web_host, session_clock):
    web_host.settings.set_many({f"{area.name}_session_lifetime_minutes": "60", f"{area.name}_session_idle_minutes": "30"})
    owner, thief = logged_in_pair(area, app, second_app)
    session_clock.advance(timedelta(minutes=25))
    assert allowed(thief, area)  # used: the idle time starts again
    session_clock.advance(timedelta(minutes=25))
    assert allowed(owner, area)
    session_clock.advance(timedelta(minutes=31))
    assert not allowed(thief, area) and not allowed(owner, area)


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_a_login_ends_after_its_lifetime_however_busy(area, app, second_app, ada, web_host, session_clock):
    web_host.settings.set_many({f"{area.name}_session_lifetime_minutes": "60", f"{area.name}_session_idle_minutes": "30"})
    owner, thief = logged_in_pair(area, app, second_app)
    for _ in range(5):
        session_clock.advance(timedelta(minutes=11))
        assert allowed(thief, area)
    session_clock.advance(timedelta(minutes=6))  # 61 minutes after the login, 6 after the last use
    assert not allowed(thief, area) and not allowed(owner, area)


def test_default_lifetimes_admin_idle_two_hours(app, web_host, session_clock):
    owner = app.test_client()
    login_admin(owner)
    session_clock.advance(timedelta(minutes=119))
    assert allowed(owner, ADMIN)
    session_clock.advance(timedelta(minutes=121))
    assert not allowed(owner, ADMIN)


def test_default_lifetimes_admin_twelve_hours_at_most(app, web_host, session_clock):
    owner = app.test_client()
    login_admin(owner)
    for _ in range(7):
        session_clock.advance(timedelta(minutes=100))
        assert allowed(owner, ADMIN)
    session_clock.advance(timedelta(minutes=21))  # 12 h 1 min
    assert not allowed(owner, ADMIN)


def test_default_lifetimes_client_idle_one_day(app, web_host, ada, session_clock):
    owner = app.test_client()
    login_client(owner, "ada@example.com")
    session_clock.advance(timedelta(hours=23))
    assert allowed(owner, CLIENT)
    session_clock.advance(timedelta(hours=24, minutes=1))
    assert not allowed(owner, CLIENT)


def test_the_cookie_is_only_a_random_id_and_the_table_keeps_its_hash(app, web_host):
    owner = app.test_client()
    login_admin(owner)
    sid = owner.get_cookie(SESSION_COOKIE).value
    assert len(sid) >= 43 and "." not in sid  # 256 random bits, no signed payload
    with web_host.sessions() as s:
        keys = list(s.scalars(select(WebSession.id)))
        data = list(s.scalars(select(WebSession.data)))
    assert hashlib.sha256(sid.encode()).hexdigest() in keys
    assert sid not in keys and not any(sid in d for d in data)


def test_login_rotates_the_id_and_the_planted_id_stays_anonymous(app, ada):
    """No fixation: a victim logging in with a cookie an attacker planted does not log the attacker in."""
    attacker = app.test_client()
    attacker.get("/login")  # a valid visitor session (it has a CSRF token)
    victim = copy_of(attacker, app)
    for area in (ADMIN, CLIENT):
        before = victim.get_cookie(SESSION_COOKIE).value
        assert area.login(victim).status_code == 302
        assert victim.get_cookie(SESSION_COOKIE).value != before
        assert allowed(victim, area) and not allowed(attacker, area)


def test_logging_out_of_one_area_keeps_the_other_and_ends_copies_of_both(app, ada):
    owner = app.test_client()
    login_admin(owner)
    login_client(owner, "ada@example.com")
    thief = copy_of(owner, app)
    post_form(owner, "/logout")
    assert allowed(owner, ADMIN) and not allowed(owner, CLIENT)
    assert not allowed(thief, ADMIN) and not allowed(thief, CLIENT)  # the old id is gone entirely


def test_revoking_one_area_leaves_the_other_login_of_that_browser(app, ada, web_host):
    owner = app.test_client()
    login_admin(owner)
    login_client(owner, "ada@example.com")
    response = post_form(owner, CLIENT.logout_all, token_from=CLIENT.password_token_from)
    assert response.status_code == 302
    assert allowed(owner, ADMIN) and not allowed(owner, CLIENT)


def test_csrf_still_guards_forms_and_flashes_still_show(app, ada):
    owner = app.test_client()
    login_client(owner, "ada@example.com")
    assert owner.post("/clientarea/details", data={"first_name": "Eve"}).status_code == 400
    assert owner.post(CLIENT.logout_all).status_code == 400  # no token: nothing ended
    assert allowed(owner, CLIENT)
    response = post_form(owner, "/clientarea/details", {"first_name": "Ada", "last_name": "King", "company": "",
                                                        "email": "ada@example.com"}, follow_redirects=True)
    assert "Your details were saved." in response.text


def test_expired_sessions_are_pruned(app, web_host, ada, session_clock):
    owner = app.test_client()
    login_client(owner, "ada@example.com")
    login_admin(app.test_client())
    session_clock.advance(timedelta(hours=3))
    assert prune_expired(web_host, clock=session_clock) == 1  # the admin's (idle for 2 h); the client's lives a day after its last use
    session_clock.advance(timedelta(days=1))
    assert prune_expired(web_host, clock=session_clock) == 1
    with web_host.sessions() as s:
        assert list(s.scalars(select(WebSession.id))) == []


def test_a_visitor_without_a_form_gets_no_session_row(anon, web_host):
    anon.get("/")
    assert anon.get_cookie(SESSION_COOKIE) is None
    with web_host.sessions() as s:
        assert list(s.scalars(select(WebSession.id))) == []


def test_a_forged_or_unknown_cookie_is_a_visitor(app, ada):
    visitor = app.test_client()
    visitor.set_cookie(SESSION_COOKIE, "x" * 43)
    assert not allowed(visitor, CLIENT)
    visitor.set_cookie(SESSION_COOKIE, "y" * 200)
    assert not allowed(visitor, ADMIN)
    assert login_client(visitor, "ada@example.com").status_code == 302
    assert visitor.get_cookie(SESSION_COOKIE).value not in ("x" * 43, "y" * 200)


@pytest.mark.parametrize("area", AREAS.values(), ids=AREAS.keys())
def test_moving_the_hosts_day_neither_ends_nor_extends_a_login(area, app, web_host, ada, session_clock):
    """``--today`` (the host's clock) is for billing; logins live in real time."""
    owner = app.test_client()
    area.login(owner)
    web_host.clock.advance(timedelta(days=40))
    assert allowed(owner, area)
    web_host.clock.advance(timedelta(days=-80))
    assert allowed(owner, area)
    session_clock.advance(timedelta(days=8))
    assert not allowed(owner, area)
