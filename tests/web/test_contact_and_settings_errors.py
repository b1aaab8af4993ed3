"""Contact Us: a real form that emails the company through the outbox (a real SMTP server), and
General Settings errors under each field, all at once, in words."""

from __future__ import annotations

from sqlalchemy import select

from hostsim.db.models import ActivityLog, EmailLog
from hostsim.services.contact import PER_EMAIL
from tests.addon_client.conftest import body_of, smtp_server, use_smtp  # noqa: F401 - smtp_server is a fixture
from tests.web.conftest import add_client, login_client, post_form

MESSAGE = {"name": "Grace Hopper", "email": "grace@example.com", "subject": "Bigger servers?",
           "message": "Hello,\ndo you sell servers with 64 GB of memory?\nGrace"}


def emails(host) -> list[EmailLog]:  # type: ignore[no-untyped-def]
    with host.sessions() as s:
        return list(s.scalars(select(EmailLog).order_by(EmailLog.id)))


def test_a_visitor_s_message_reaches_the_contact_address_with_reply_to(anon, web_host, smtp_server) -> None:  # noqa: F811
    use_smtp(web_host, smtp_server)
    web_host.settings.set_many({"contact_email": "support@acme.test"})
    page = anon.get("/contact").get_data(as_text=True)
    assert 'id="contact-form"' in page and 'for="f-message"' in page
    response = post_form(anon, "/contact", {**MESSAGE, "message": MESSAGE["message"].replace("\n", "\r\n")})
    assert response.status_code == 302 and response.headers["Location"] == "/contact"  # a refresh sends nothing
    assert "your message was sent" in anon.get("/contact").get_data(as_text=True)
    [message] = smtp_server.inbox.messages
    assert message["To"] == "support@acme.test" and message["Reply-To"] == "grace@example.com"
    assert message["Subject"] == "Contact Us: Bigger servers?" and "hello@acme.test" in message["From"]
    body = body_of(message).replace("\r\n", "\n")
    assert "Grace Hopper <grace@example.com> (a visitor" in body and "64 GB of memory?\nGrace" in body
    with web_host.sessions() as s:
        [entry] = s.scalars(select(ActivityLog).where(ActivityLog.description.like("Contact Us%"))).all()
    assert entry.description == "Contact Us message from Grace Hopper (grace@example.com): \u201cBigger servers?\u201d"


def test_without_a_contact_address_the_sender_address_gets_it_and_a_client_is_named(anon, web_host) -> None:
    client_id = add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    page = anon.get("/contact").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in page and 'value="ada@example.com"' in page  # filled in for a client
    assert post_form(anon, "/contact", {**MESSAGE, "name": "Ada Lovelace", "email": "ada@example.com"}).status_code == 302
    [entry] = emails(web_host)
    assert entry.to == "billing@example.com" and entry.reply_to == "ada@example.com"
    assert entry.client_id == client_id and f"(client #{client_id}," in entry.body_text


def test_every_problem_is_shown_under_its_field_at_once_and_nothing_is_sent(anon, web_host) -> None:
    response = post_form(anon, "/contact", {"name": " ", "email": "not-an-email", "subject": "", "message": "x" * 5001})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for field, text in (("name", "Enter your name."), ("email", "Enter a valid email address"),
                        ("subject", "Enter a subject."), ("message", "Use at most 5,000 characters (this has 5,001).")):
        assert f'id="e-{field}">{text}' in html, field
        assert f'href="#f-{field}"' in html  # the summary links to the field
    assert 'id="f-name" name="name" type="text" value=" " autocomplete="name" required autofocus' in html
    assert 'value="not-an-email"' in html  # what was typed comes back
    assert emails(web_host) == []


def test_a_robot_filling_the_hidden_field_is_thanked_and_nothing_is_sent(anon, web_host) -> None:
    response = post_form(anon, "/contact", {**MESSAGE, "website": "http://spam.example"})
    assert response.status_code == 302 and emails(web_host) == []


def test_messages_per_address_are_limited(anon, web_host) -> None:
    for _ in range(PER_EMAIL):
        assert post_form(anon, "/contact", MESSAGE).status_code == 302
    refused = post_form(anon, "/contact", MESSAGE)
    assert refused.status_code == 429 and "Please try again in 15 minutes" in refused.get_data(as_text=True)
    assert len(emails(web_host)) == PER_EMAIL
    assert post_form(anon, "/contact", {**MESSAGE, "email": "other@example.com"}).status_code == 302


def test_general_settings_errors_appear_under_each_field_all_at_once(admin, web_host) -> None:
    response = post_form(admin, "/admin/settings", {"company_name": "Acme", "tos_url": "ftp://x", "smtp_port": "99999",
                                                    "mail_from": "nobody", "contact_email": "help@acme.test"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="e-tos_url">Terms of Service URL must start with http:// or https://' in html
    assert 'id="e-smtp_port">SMTP port must be a port number between 1 and 65535' in html
    assert 'id="e-mail_from">Sender address must be an email address' in html
    assert "tos_url:" not in html and "Please correct these 3 settings" in html
    assert 'id="s-tos_url" name="tos_url" aria-invalid="true" aria-describedby="e-tos_url"' in html
    assert web_host.settings.get("company_name") != "Acme" and web_host.settings.get("contact_email") == ""


def test_a_settings_change_is_logged_as_a_sentence_and_a_save_without_change_logs_nothing(admin, web_host) -> None:
    assert post_form(admin, "/admin/settings", {"tos_url": "https://acme.test/tos"}).status_code == 302
    assert post_form(admin, "/admin/settings", {"tos_url": "https://acme.test/tos"}).status_code == 302
    with web_host.sessions() as s:
        lines = list(s.scalars(select(ActivityLog.description).where(ActivityLog.description.like("General Settings%"))))
    assert lines == ['General Settings: Terms of Service URL changed from (empty) to "https://acme.test/tos"']
