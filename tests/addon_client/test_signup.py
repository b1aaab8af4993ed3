"""Signup: validation, the emailed link (once, tamper-proof, expiring, superseded), rate limits,
existing addresses, provisioning in SolusIO, and SolusIO being down at completion."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hostsim.clock import clock
from solusio_addon.billing.automation import Automation
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.clientarea import signup
from solusio_addon.db.models import EnrolmentStatus, Signup
from solusio_addon.solusio_api import SolusioClient
from tests.addon_client.conftest import (
    LANDING,
    SIGNUP_PASSWORD,
    add_client,
    body_of,
    client_row,
    complete,
    csrf_of,
    emails_to,
    enrolments,
    last_link,
    login,
    post_signup,
    use_smtp,
)


def test_refused_form_keeps_what_was_typed_except_the_password(anon, addon_host):
    response = post_signup(anon, password="short", company="<Navy>", last_name="")
    html = response.get_data(as_text=True)
    assert response.history[0].status_code == 303 and response.status_code == 200
    assert "Use at least 10 characters." in html and "Enter your last name." in html
    assert 'value="Grace"' in html and 'value="&lt;Navy&gt;"' in html and 'value="grace@example.com"' in html
    assert "short" not in html.replace("shortly", "")
    assert 'name="password" type="password" value=""' in html
    weak = post_signup(anon, password="graceHOPPER-1234").get_data(as_text=True)
    assert "Must not contain your name" in weak
    assert emails_to(addon_host, "grace@example.com") == []


def test_link_completes_once_creates_client_and_solusio_user(anon, addon_host, sim):
    response = post_signup(anon)
    assert response.status_code == 200 and "We have sent an email to grace@example.com" in response.get_data(as_text=True)
    assert client_row(addon_host, "grace@example.com") is None  # nothing before the link is followed
    with addon_host.sessions() as s:
        row = s.scalars(select(Signup)).one()
        assert row.password.startswith("enc:") and SIGNUP_PASSWORD not in row.password
        assert len(row.nonce_hash) == 64
    link = last_link(addon_host, "grace@example.com")

    terms = anon.get(link).get_data(as_text=True)
    assert "accept_tos" in terms and "accept_postpay" in terms
    refused = complete(anon, link, postpay=False)
    assert refused.history[0].status_code == 303 and "Post-Pay Terms" in refused.get_data(as_text=True)

    done = complete(anon, link)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Log in to SolusIO" in html, html
    client = client_row(addon_host, "grace@example.com")
    assert client is not None and client.email_verified and client.company == "Navy Labs"
    [enrolment] = enrolments(addon_host)
    assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.pending_password == ""
    assert enrolment.tos_accepted_at is not None and enrolment.tos_accepted_ip == "127.0.0.1"
    assert enrolment.postpay_terms_url == "https://example.com/postpay-terms"
    assert enrolment.postpay_terms_accepted_at is not None and enrolment.postpay_terms_accepted_ip == "127.0.0.1"
    user = sim.state.find_user_by_email("grace@example.com")
    assert user is not None and user.billing_user_id == client.id and user.limit_group_id == 1
    assert user.password == SIGNUP_PASSWORD
    with addon_host.sessions() as s:
        assert s.scalars(select(Signup)).one().password == ""  # forgotten once used
    # Logged in as the new client: the homepage shows the SSO panel
    assert "Log in to SolusIO" in anon.get("/clientarea").get_data(as_text=True)

    # Reused: refused, nothing created twice (another browser)
    other = anon.application.test_client()
    again = other.get(link)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert len(enrolments(addon_host)) == 1 and len(sim.state.search_users("grace@example.com")) == 1


def test_double_submit_creates_one_client_and_one_enrolment(anon, addon_host, sim):
    post_signup(anon)
    link = last_link(addon_host, "grace@example.com")
    page = anon.get(link)
    data = {"csrf_token": csrf_of(page.data), "token": link.split("token=")[1], "accept_tos": "1",
            "accept_postpay": "1"}
    first = anon.post("/modules/addons/solusio/signup/complete", data=data)
    second = anon.post("/modules/addons/solusio/signup/complete", data=data)  # a double click
    assert first.status_code == 303
    # The login after the first rotated the session: the second is refused as an expired form
    # or shown the existing state; either way nothing new exists.
    assert second.status_code in (302, 400)
    assert len(enrolments(addon_host)) == 1 and len(sim.state.search_users("grace@example.com")) == 1


def test_concurrent_completions_create_once(anon, addon_host, api, sim):
    from concurrent.futures import ThreadPoolExecutor

    post_signup(anon)
    token = last_link(addon_host, "grace@example.com").split("token=")[1]

    def attempt(_: int) -> str:
        return signup.complete_signup(api, token, accept_tos=True, accept_postpay=True, ip="10.0.0.1",
                                      session_client_id=None).kind

    with ThreadPoolExecutor(4) as pool:
        kinds = sorted(pool.map(attempt, range(4)))
    assert kinds.count("enrolled") == 1 and kinds.count("already_done") == 3, kinds
    assert len(enrolments(addon_host)) == 1 and len(sim.state.search_users("grace@example.com")) == 1


def test_tampered_links_are_refused(anon, addon_host, api):
    post_signup(anon)
    link = last_link(addon_host, "grace@example.com")
    token = link.split("token=")[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x", "garbage", ""):
        response = anon.get(f"/modules/addons/solusio/signup/complete?token={bad}")
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
    # A correctly signed payload naming another signup or email is refused too
    forged = signup.make_token(api, 1, "not-the-nonce", "grace@example.com")
    assert anon.get(f"/modules/addons/solusio/signup/complete?token={forged}").status_code == 400
    assert client_row(addon_host, "grace@example.com") is None


def test_expired_link_is_refused(anon, addon_host):
    post_signup(anon)
    link = last_link(addon_host, "grace@example.com")
    clock.advance(timedelta(hours=48) - timedelta(seconds=5))
    assert anon.get(link).status_code == 200
    clock.advance(timedelta(seconds=6))  # 48 h + 1 s
    response = anon.get(link)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert complete_post(anon, link).status_code == 400
    assert client_row(addon_host, "grace@example.com") is None


def complete_post(anon, link):
    token = csrf_of(anon.get(LANDING).data)
    return anon.post("/modules/addons/solusio/signup/complete",
                     data={"csrf_token": token, "token": link.split("token=")[1], "accept_tos": "1",
                           "accept_postpay": "1"})


def test_re_request_supersedes_the_old_link(anon, addon_host):
    post_signup(anon)
    old = last_link(addon_host, "grace@example.com")
    post_signup(anon, first_name="Gracie")
    new = last_link(addon_host, "grace@example.com")
    assert old != new
    response = anon.get(old)
    assert response.status_code == 410 and "newer signup link" in response.get_data(as_text=True)
    assert complete(anon, new).status_code == 200
    assert client_row(addon_host, "grace@example.com").first_name == "Gracie"


def test_rate_limits_per_email_and_per_address(anon, addon_host):
    for _ in range(signup.PER_EMAIL_PER_HOUR):
        assert post_signup(anon).status_code == 200
    limited = post_signup(anon)
    assert "Too many signup emails" in limited.get_data(as_text=True)
    assert len(emails_to(addon_host, "grace@example.com")) == signup.PER_EMAIL_PER_HOUR
    for n in range(signup.PER_IP_PER_HOUR - signup.PER_EMAIL_PER_HOUR):
        assert post_signup(anon, email=f"someone{n}@example.com").status_code == 200
    assert "Too many" in post_signup(anon, email="fresh@example.com").get_data(as_text=True)  # the address's limit
    clock.advance(timedelta(hours=1, seconds=1))
    assert post_signup(anon, email="fresh@example.com").status_code == 200


def test_existing_address_gets_a_neutral_answer_and_a_login_link(anon, addon_host):
    add_client(addon_host, "ada@example.com")
    new = post_signup(anon, email="nobody@example.com").get_data(as_text=True)
    known = post_signup(anon, email="ada@example.com").get_data(as_text=True)

    def strip(html: str, email: str) -> str:
        """The page without what legitimately differs: the address typed and the CSRF token."""
        html = html.replace(email, "EMAIL")
        return html.replace(csrf_of(html), "T") if "csrf_token" in html else html

    assert strip(new, "nobody@example.com") == strip(known, "ada@example.com")
    [mail] = emails_to(addon_host, "ada@example.com")
    assert "already have an account" in mail.body_text and "/login?next=" in mail.body_text
    assert "signup/complete" not in mail.body_text
    assert len(enrolments(addon_host)) == 0


def test_solusio_down_at_completion_keeps_it_pending_then_cron_finishes(anon, addon_host, api, sim):
    post_signup(anon)
    link = last_link(addon_host, "grace@example.com")
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    done = complete(anon, link)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "being set up" in html and "Try again now" in html
    [enrolment] = enrolments(addon_host)
    assert enrolment.status is EnrolmentStatus.PENDING and enrolment.pending_password.startswith("enc:")
    assert "being set up" in anon.get("/clientarea").get_data(as_text=True)
    # The link again: nothing created twice
    assert complete_post(anon, link).status_code == 302
    assert len(enrolments(addon_host)) == 1
    sim.faults.reset()
    solusio = SolusioClient(sim.url, sim.admin_token, retries=1, backoff=0.01)
    automation = Automation(api, solusio, policy_from_settings(api))
    automation.finish_pending()
    assert automation.report.provisioned == 1
    [enrolment] = enrolments(addon_host)
    assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.pending_password == ""
    user = sim.state.find_user_by_email("grace@example.com")
    assert user.password == SIGNUP_PASSWORD and user.billing_user_id == enrolment.client_id
    assert len(sim.state.search_users("grace@example.com")) == 1
    assert "Log in to SolusIO" in anon.get("/clientarea").get_data(as_text=True)


def test_existing_solusio_user_is_adopted_not_duplicated(anon, addon_host, sim):
    existing = sim.state.add_user("grace@example.com", password="old-password-1")
    post_signup(anon)
    complete(anon, last_link(addon_host, "grace@example.com"))
    [enrolment] = enrolments(addon_host)
    assert enrolment.solusio_user_id == existing.id and len(sim.state.search_users("grace@")) == 1


def test_logged_in_verified_client_enrols_in_one_click(app, addon_host, sim):
    client_id = add_client(addon_host, "ada@example.com")
    c = app.test_client()
    login(c, "ada@example.com")
    page = c.get(LANDING)
    token = csrf_of(page.data)
    refused = c.post("/modules/addons/solusio/enrol", data={"csrf_token": token, "password": "short"},
                     follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert refused.history[0].status_code == 303 and "Please accept the Terms of Service" in html and "Use at least 10" in html
    done = c.post("/modules/addons/solusio/enrol", data={"csrf_token": token, "password": SIGNUP_PASSWORD,
                                                         "accept_tos": "1", "accept_postpay": "1"},
                  follow_redirects=True)
    assert done.status_code == 200 and "Log in to SolusIO" in done.get_data(as_text=True)
    [enrolment] = enrolments(addon_host)
    assert enrolment.client_id == client_id and enrolment.status is EnrolmentStatus.ACTIVE
    assert sim.state.find_user_by_email("ada@example.com").billing_user_id == client_id
    again = c.post("/modules/addons/solusio/enrol", data={"csrf_token": token, "password": SIGNUP_PASSWORD,
                                                          "accept_tos": "1", "accept_postpay": "1"})
    assert again.status_code == 302 and len(enrolments(addon_host)) == 1


def test_unverified_client_confirms_the_address_first(app, addon_host, sim):
    add_client(addon_host, "bob@example.com", first="Bob", last="Builder", verified=False)
    c = app.test_client()
    login(c, "bob@example.com")
    token = csrf_of(c.get(LANDING).data)
    sent = c.post("/modules/addons/solusio/enrol", data={"csrf_token": token, "password": SIGNUP_PASSWORD,
                                                         "accept_tos": "1", "accept_postpay": "1"},
                  follow_redirects=True)
    assert sent.status_code == 200 and "confirm the address" in sent.get_data(as_text=True)
    assert enrolments(addon_host) == []
    link = last_link(addon_host, "bob@example.com")
    stranger = app.test_client()
    assert stranger.get(link).status_code == 302  # must log in as Bob first
    assert complete(c, link).status_code == 200
    [enrolment] = enrolments(addon_host)
    assert enrolment.status is EnrolmentStatus.ACTIVE
    assert client_row(addon_host, "bob@example.com").email_verified


def test_signup_email_through_a_real_smtp_server(anon, addon_host, smtp_server):
    use_smtp(addon_host, smtp_server)
    post_signup(anon)
    [message] = smtp_server.inbox.messages
    assert message["To"] == "grace@example.com" and "Acme Cloud" in message["Subject"]
    body = body_of(message)
    assert "/modules/addons/solusio/signup/complete?token=" in body and SIGNUP_PASSWORD not in body
