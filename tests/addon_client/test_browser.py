"""A visitor in headless Chromium: Store menu -> landing page -> signup -> the email (a real SMTP
server) -> the terms -> into SolusIO (the simulator) by SSO; then a second browser context shows
that one client cannot SSO as another."""

from __future__ import annotations

import re

import pytest

from solusio_addon.db.models import Enrolment, EnrolmentStatus
from tests.addon_client.conftest import SIGNUP_PASSWORD, add_client, body_of, use_smtp

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/modules/addons/solusio/signup/complete\?token=\S+")


def test_visitor_signs_up_and_enters_solusio(browser, addon_host, sim, live_server, smtp_server) -> None:  # type: ignore[no-untyped-def]
    use_smtp(addon_host, smtp_server)
    live_server.serve(addon_host)
    base = live_server.url
    bob_id = add_client(addon_host, "bob@example.com", first="Bob", last="Builder")
    bob = sim.state.add_user("bob@example.com", billing_user_id=bob_id)
    with addon_host.transaction() as s:
        s.add(Enrolment(client_id=bob_id, solusio_user_id=bob.id, status=EnrolmentStatus.ACTIVE,
                        created_at=addon_host.clock.now()))

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(base + "/")
    store = page.locator('.menu.primary li[data-name="Store"]')
    store.locator("summary").click()
    store.get_by_role("link", name="Cloud Hosting").click()
    page.wait_for_url("**/index.php?m=solusio")
    assert "$5.00" in page.locator("#price-table").inner_text()

    page.fill("#f-first_name", "Grace")
    page.fill("#f-last_name", "Hopper")
    page.fill("#f-email", "grace@example.com")
    page.fill("#f-password", "short")
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector("#e-password")
    assert page.input_value("#f-first_name") == "Grace" and page.input_value("#f-password") == ""
    # The refused form: a summary at the top linking to the field, the focus on that field, and
    # the page reached by a redirect (Post/Redirect/Get), so a refresh submits nothing.
    summary = page.locator("#signup-form #error-summary")
    assert "Password: Use at least 10 characters." in summary.inner_text()
    assert summary.get_by_role("link").first.get_attribute("href") == "#f-password"
    assert page.evaluate("document.activeElement.id") == "f-password"
    page.reload()
    assert page.locator("#error-summary").count() == 0 and page.input_value("#f-first_name") == ""
    page.fill("#f-first_name", "Grace")
    page.fill("#f-last_name", "Hopper")
    page.fill("#f-email", "grace@example.com")
    page.fill("#f-password", SIGNUP_PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector("#signup-sent")
    page.reload()  # a refresh of "Check your email" sends no second email
    page.wait_for_load_state()

    [message] = smtp_server.inbox.messages
    assert message["To"] == "grace@example.com"
    link = LINK.search(body_of(message)).group(0)
    assert link.startswith(base)
    page.goto(link)
    page.click("#terms-form button[type=submit]")  # nothing ticked: refused
    page.wait_for_selector(".field-error")
    page.check("#accept-tos")
    page.check("#accept-postpay")
    page.click("#terms-form button[type=submit]")
    page.wait_for_selector("#signup-done[data-status=active]")
    # Signed in by the signup: the navbars are the logged-in ones on this very page
    assert page.locator('.menu li[data-name="Logout"] form[action="/logout"]').count() == 1
    assert page.locator('.menu a[href="/login"]').count() == 0

    page.click("#sso-form button[type=submit]")
    page.wait_for_url(sim.url + "/auth/by-token**")
    assert "Logged in as grace@example.com" in page.content()
    context.close()

    # A second browser: Bob, logged in, can only ever reach his own SolusIO user
    other = browser.new_context()
    page = other.new_page()
    page.set_default_timeout(15000)
    page.goto(base + "/login")
    page.fill("input[name=email]", "bob@example.com")
    page.fill("input[name=password]", "Client-Pass-123")
    page.click("form button[type=submit]")
    page.wait_for_url(base + "/clientarea")
    token = page.locator("#sso-form input[name=csrf_token]").get_attribute("value")
    grace = sim.state.find_user_by_email("grace@example.com")
    answer = other.request.post(base + "/modules/addons/solusio/sso", max_redirects=0,
                                form={"csrf_token": token, "user_id": str(grace.id), "client_id": "1"})
    assert answer.status == 303
    assert "Logged in as bob@example.com" in other.request.get(answer.headers["location"]).text()
    # Without Bob's CSRF token (a forged cross-site form) nothing is minted at all
    forged = other.request.post(base + "/modules/addons/solusio/sso", max_redirects=0, form={"csrf_token": "x"})
    assert forged.status == 400
    other.close()

    # A third browser, not logged in, is sent to the login page
    stranger = browser.new_context()
    page = stranger.new_page()
    page.goto(base + "/index.php?m=solusio")
    fresh = page.locator("#signup-form input[name=csrf_token]").get_attribute("value")
    answer = stranger.request.post(base + "/modules/addons/solusio/sso", max_redirects=0, form={"csrf_token": fresh})
    assert answer.status == 302 and "/login" in answer.headers["location"]
    stranger.close()
