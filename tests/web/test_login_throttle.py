"""Login throttling: atomic under concurrency (40 simultaneous guesses against a real server),
per account and per address separately, the address taken from X-Forwarded-For only behind a
trusted proxy; and a ``next`` with CR/LF after login is an unsafe redirect, not a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
import waitress  # type: ignore[import-untyped]
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostsim.config import HostConfig, parse_trusted_proxies
from hostsim.db.models import ActivityLog
from hostsim.host import Host
from hostsim.services import clients as client_service
from hostsim.services.bootstrap import create_admin
from hostsim.services.throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT
from hostsim.web import auth, create_app
from hostsim.web.security import safe_next
from tests.web.conftest import ADMIN_PASSWORD, CLIENT_PASSWORD, CSRF_RE, add_client, csrf_of

ATTEMPTS = 40
WRONG = "Wrong-Guess-99"


# --- concurrency against a real server -------------------------------------------------------------

@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The app under waitress on a free port of 127.0.0.1, with a thread for every attempt."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=ATTEMPTS, ident="hostsim-test")
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # close() pulled the sockets from under the loop
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stopping.set()
    server.close()
    thread.join(timeout=5)


class CountingVerify:
    """Wraps the password check to count how many attempts actually reached it."""

    def __init__(self, real: Callable[[str, str], bool]) -> None:
        self.real = real
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, stored_hash: str, password: str) -> bool:
        with self.lock:
            self.calls += 1
        return self.real(stored_hash, password)


def storm(url: str, login_path: str, forms: list[dict[str, str]]) -> list[requests.Response]:
    """Each form from its own browser (session and CSRF token), all posted at the same moment."""
    barrier = threading.Barrier(len(forms))
    results: list[Any] = [None] * len(forms)

    def attempt(i: int) -> None:
        with requests.Session() as browser:
            token = CSRF_RE.search(browser.get(url + login_path, timeout=30).text)
            assert token is not None
            barrier.wait(timeout=60)
            results[i] = browser.post(url + login_path, data={"csrf_token": token.group(1), **forms[i]},
                                      allow_redirects=False, timeout=60)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results), "an attempt did not finish"
    return results


def outcomes(responses: list[requests.Response]) -> dict[str, int]:
    counts = {"failed": 0, "throttled": 0, "other": 0}
    for r in responses:
        key = "failed" if r.status_code == 200 and "Login failed" in r.text else "throttled" if r.status_code == 429 else "other"
        counts[key] += 1
    return counts


def test_concurrent_wrong_admin_passwords_are_checked_at_most_five_times(live, web_host, monkeypatch):
    counter = CountingVerify(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", counter)
    results = outcomes(storm(live, "/admin/login", [{"username": "boss", "password": WRONG}] * ATTEMPTS))
    print(f"\nadmin ({web_host.engine.dialect.name}): attempts checked out of {ATTEMPTS}: {counter.calls}")
    assert counter.calls == ACCOUNT_LIMIT, f"{counter.calls} of {ATTEMPTS} attempts checked the password"
    assert results == {"failed": ACCOUNT_LIMIT, "throttled": ATTEMPTS - ACCOUNT_LIMIT, "other": 0}


def test_concurrent_wrong_client_passwords_are_checked_at_most_five_times(live, web_host, monkeypatch):
    add_client(web_host, "ada@example.com")
    counter = CountingVerify(client_service.verify_password)
    monkeypatch.setattr(client_service, "verify_password", counter)
    results = outcomes(storm(live, "/login", [{"email": "ada@example.com", "password": WRONG}] * ATTEMPTS))
    print(f"\nclient ({web_host.engine.dialect.name}): attempts checked out of {ATTEMPTS}: {counter.calls}")
    assert counter.calls == ACCOUNT_LIMIT, f"{counter.calls} of {ATTEMPTS} attempts checked the password"
    assert results == {"failed": ACCOUNT_LIMIT, "throttled": ATTEMPTS - ACCOUNT_LIMIT, "other": 0}


def test_concurrent_guesses_at_many_accounts_from_one_address_stop_at_the_address_limit(live, web_host, monkeypatch):
    counter = CountingVerify(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", counter)
    forms = [{"username": f"user{i}", "password": WRONG} for i in range(ATTEMPTS)]
    results = outcomes(storm(live, "/admin/login", forms))
    assert counter.calls == ADDRESS_LIMIT
    assert results == {"failed": ADDRESS_LIMIT, "throttled": ATTEMPTS - ADDRESS_LIMIT, "other": 0}


# --- per account and per address ---------------------------------------------------------------------

def post_login(client: FlaskClient, area: str, who: str, password: str, *, ip: str = "127.0.0.1",
               forwarded_for: str | None = None, path_suffix: str = ""):
    path = "/admin/login" if area == "admin" else "/login"
    environ = {"REMOTE_ADDR": ip}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    token = csrf_of(client.get(path, environ_base=environ, headers=headers).data)
    field = "username" if area == "admin" else "email"
    return client.post(path + path_suffix, data={"csrf_token": token, field: who, "password": password},
                       environ_base=environ, headers=headers)


RIGHT = {"admin": ("boss", ADMIN_PASSWORD), "client": ("ada@example.com", CLIENT_PASSWORD)}
OTHER = {"admin": ("helper", ADMIN_PASSWORD), "client": ("bob@example.com", CLIENT_PASSWORD)}


@pytest.fixture
def accounts(web_host: Host) -> None:
    add_client(web_host, "ada@example.com")
    add_client(web_host, "bob@example.com", first="Bob", last="Byron")


@pytest.mark.parametrize("area", ["admin", "client"])
def test_one_accounts_failures_do_not_lock_out_another_account_at_the_same_address(area, app, accounts):
    who, password = RIGHT[area]
    for _ in range(ACCOUNT_LIMIT):
        assert post_login(app.test_client(), area, who, WRONG).status_code == 200
    assert post_login(app.test_client(), area, who, password).status_code == 429
    other, other_password = OTHER[area]
    assert post_login(app.test_client(), area, other, other_password).status_code == 302


@pytest.mark.parametrize("area", ["admin", "client"])
def test_an_account_is_locked_from_every_address(area, app, accounts, web_host):
    who, password = RIGHT[area]
    for n in range(ACCOUNT_LIMIT):
        post_login(app.test_client(), area, who, WRONG, ip=f"127.0.1.{n}")
    response = post_login(app.test_client(), area, who, password, ip="127.0.2.1")
    assert response.status_code == 429 and b"try again in 15 minutes" in response.data
    web_host.clock.advance(timedelta(minutes=15, seconds=1))
    assert post_login(app.test_client(), area, who, password, ip="127.0.2.1").status_code == 302


@pytest.mark.parametrize("area", ["admin", "client"])
def test_an_address_is_throttled_after_thirty_failures(area, app, accounts, web_host):
    who, password = RIGHT[area]
    for n in range(ADDRESS_LIMIT):
        assert post_login(app.test_client(), area, f"nobody{n}@example.com", WRONG).status_code == 200
    web_host.clock.advance(timedelta(minutes=10))
    response = post_login(app.test_client(), area, who, password)
    assert response.status_code == 429 and b"try again in 5 minutes" in response.data
    assert post_login(app.test_client(), area, who, password, ip="127.0.3.1").status_code == 302  # another address
    web_host.clock.advance(timedelta(minutes=5, seconds=1))
    assert post_login(app.test_client(), area, who, password).status_code == 302


def test_a_successful_login_gives_the_address_its_place_back(app, accounts):
    who, password = RIGHT["client"]
    for n in range(ADDRESS_LIMIT - 1):
        post_login(app.test_client(), "client", f"nobody{n}@example.com", WRONG)
    for _ in range(3):  # each success gives back the place it took
        assert post_login(app.test_client(), "client", who, password).status_code == 302
    assert post_login(app.test_client(), "client", "nobody@example.com", WRONG).status_code == 200
    assert post_login(app.test_client(), "client", who, password).status_code == 429


# --- behind a reverse proxy --------------------------------------------------------------------------

@pytest.fixture
def proxied(make_host: Callable[..., Host], monkeypatch: pytest.MonkeyPatch) -> tuple[Flask, Host]:
    """An app behind two trusted proxies (127.0.0.2 and the network 127.0.5.0/24)."""
    monkeypatch.setenv("HOSTSIM_TRUSTED_PROXIES", "127.0.0.2, 127.0.5.0/24")
    host = make_host()
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    add_client(host, "ada@example.com")
    return create_app(host), host


def login_ips(host: Host) -> list[str]:
    with host.sessions() as s:
        return list(s.scalars(select(ActivityLog.ip).where(ActivityLog.description == "Admin boss logged in")
                              .order_by(ActivityLog.id)))


def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(proxied):
    app, _host = proxied
    for n in range(ADDRESS_LIMIT):
        post_login(app.test_client(), "client", f"nobody{n}@example.com", WRONG, ip="127.0.0.2",
                   forwarded_for="198.51.100.7")
    assert post_login(app.test_client(), "client", *RIGHT["client"], ip="127.0.0.2",
                      forwarded_for="198.51.100.7").status_code == 429
    # Another client behind the same proxy is not locked out with the first one.
    assert post_login(app.test_client(), "client", *RIGHT["client"], ip="127.0.0.2",
                      forwarded_for="198.51.100.8").status_code == 302


def test_the_client_address_is_the_first_untrusted_hop_from_the_right(proxied):
    app, host = proxied
    cases = [("127.0.0.2", "198.51.100.9", "198.51.100.9"),
             ("127.0.0.2", "198.51.100.10, 127.0.5.7", "198.51.100.10"),  # two proxies of ours
             ("127.0.0.2", "203.0.113.66, 198.51.100.11", "198.51.100.11"),  # a forged first entry is skipped
             ("127.0.0.2", "not-an-address", "127.0.0.2"),
             ("127.0.0.1", "198.51.100.12", "127.0.0.1")]  # not a trusted proxy: the header is ignored
    for peer, header, _expected in cases:
        assert post_login(app.test_client(), "admin", "boss", ADMIN_PASSWORD, ip=peer, forwarded_for=header).status_code == 302
    assert login_ips(host) == [expected for _peer, _header, expected in cases]


def test_a_forwarded_for_header_from_an_untrusted_peer_does_not_dodge_the_address_limit(app, accounts):
    for n in range(ADDRESS_LIMIT):
        post_login(app.test_client(), "admin", f"user{n}", WRONG, forwarded_for=f"198.51.100.{n}")
    assert post_login(app.test_client(), "admin", "boss", ADMIN_PASSWORD, forwarded_for="198.51.100.200").status_code == 429


def test_trusted_proxies_setting_is_parsed_and_checked(monkeypatch, tmp_path):
    assert parse_trusted_proxies(" 127.0.0.2 , 10.1.2.3/8,::1 ,") == ("127.0.0.2/32", "10.0.0.0/8", "::1/128")
    monkeypatch.setenv("HOSTSIM_TRUSTED_PROXIES", "127.0.0.1,proxy.example")
    with pytest.raises(ValueError, match="HOSTSIM_TRUSTED_PROXIES: 'proxy.example' is not an IP address"):
        HostConfig.from_env(home=tmp_path)
    monkeypatch.delenv("HOSTSIM_TRUSTED_PROXIES")
    assert HostConfig.from_env(home=tmp_path).trusted_proxies == ()


# --- unsafe redirects after login --------------------------------------------------------------------

BAD_TARGETS = ["/x\r\nSet-Cookie: evil=1", "/x\nLocation: //evil.example", "/x\r", "/x\ty", "/x\x7f", "/x\x00"]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_safe_next_refuses_control_characters(target):
    assert safe_next(target, "/home") == "/home"
    assert safe_next("/clientarea/invoices?page=2", "/home") == "/clientarea/invoices?page=2"


@pytest.mark.parametrize("area, default", [("admin", "/admin/"), ("client", "/clientarea")])
@pytest.mark.parametrize("target", [quote(t) for t in BAD_TARGETS])
def test_control_characters_in_next_are_an_unsafe_redirect(area, default, target, app, accounts):
    """Never a 500 or a header of the attacker's: the home page of the area, or the form check's
    400 (the host's one check of submitted text refuses control characters before the view)."""
    response = post_login(app.test_client(), area, *RIGHT[area], path_suffix=f"?next={target}")
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"] == default
    assert "evil" not in str(response.headers) and "Set-Cookie: evil" not in response.text


@pytest.mark.parametrize("area, page", [("admin", "/admin/login"), ("client", "/login")])
def test_a_logged_in_visit_to_the_login_page_with_a_bad_next_goes_nowhere_else(area, page, app, accounts):
    client = app.test_client()
    assert post_login(client, area, *RIGHT[area]).status_code == 302
    response = client.get(page + "?next=" + quote("/x\r\nX-Evil: 1"))
    assert response.status_code in (302, 400) and "Evil" not in str(response.headers)
