"""How the demo's clients pay, over real HTTP to the host's pages: logged in as the client, from
the client home's SolusIO panel to the invoice, then Pay Now and a test card on the sandbox card
gateway's hosted page (whose signed callback the browser posts back, as an external processor's
page would), or Apply Credit. Also the admin's side: the gateways activated, credit added.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

import requests

from hostsim.addon_api import format_money
from solusio_addon.demo.scenario import ADMIN_USERNAME, CLIENT_PASSWORD, DemoClient

if TYPE_CHECKING:
    from solusio_addon.demo.story import Demo

HTTP_TIMEOUT = 30
APPROVED_CARD = "4242 4242 4242 4242"  # the sandbox's test card that is approved
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CALLBACK_RE = re.compile(r'<form id="callback" method="post" action="([^"]+)">')


def activate_gateways(demo: "Demo") -> None:
    """Bank Transfer, and the sandbox card gateway with a signing secret of its own (never shown)."""
    bank = demo.instance.activate_gateway("banktransfer", actor=ADMIN_USERNAME)
    card = demo.instance.activate_gateway("sandbox", settings={"secret": secrets.token_urlsafe(32)},
                                          actor=ADMIN_USERNAME)
    demo.say(f"Payment gateways: {bank}, and {card} (a SANDBOX: test cards, no real money; its signing secret "
             "is generated and stored encrypted)")


def _session() -> requests.Session:
    http = requests.Session()
    http.trust_env = False  # loopback: never through a proxy from the environment
    return http


def _csrf(demo: "Demo", html: str, what: str) -> str:
    match = CSRF_RE.search(html)
    demo.expect(match, f"no CSRF token on {what}")
    assert match is not None
    return match.group(1)


def _log_in(demo: "Demo", http: requests.Session, client: DemoClient) -> str:
    """Log in as the client; the client home's HTML."""
    base = demo.web.url
    form = http.get(base + "/login", timeout=HTTP_TIMEOUT)
    home = http.post(base + "/login", timeout=HTTP_TIMEOUT, data={
        "email": client.persona.email, "password": CLIENT_PASSWORD, "csrf_token": _csrf(demo, form.text, "/login")})
    demo.expect(home.status_code == 200 and home.url.endswith("/clientarea"),
                f"{client.persona.email} could not log in ({home.status_code})")
    return home.text


def _invoice_page(demo: "Demo", http: requests.Session, client: DemoClient, home: str) -> str:
    """Follow the SolusIO panel's "Pay invoice #N" link (or open the invoice) and return its page."""
    path = f"/clientarea/invoices/{client.invoice_id}"
    if f'href="{path}">Pay invoice #{client.invoice_id}</a>' in home:
        demo.say(f"  {client.persona.first_name} logs in; the SolusIO panel says the account is held and links "
                 f"to invoice #{client.invoice_id}")
    page = http.get(demo.web.url + path, timeout=HTTP_TIMEOUT)
    demo.expect(page.status_code == 200 and "Pay Now" in page.text,
                f"invoice #{client.invoice_id} has no Pay Now for {client.persona.email} ({page.status_code})")
    return page.text


def pay_by_card(demo: "Demo", client: DemoClient) -> None:
    """Pay Now with the sandbox card gateway, the approved test card on its hosted page, and back."""
    base = demo.web.url
    with _session() as http:
        home = _log_in(demo, http, client)
        page = _invoice_page(demo, http, client, home)
        to_gateway = http.post(f"{base}/clientarea/invoices/{client.invoice_id}/pay", timeout=HTTP_TIMEOUT,
                               allow_redirects=False,
                               data={"csrf_token": _csrf(demo, page, "the invoice page"), "gateway": "sandbox"})
        hosted_url = to_gateway.headers.get("Location", "")
        demo.expect(to_gateway.status_code == 302 and "/modules/gateways/sandbox/pay?" in hosted_url,
                    f"Pay Now did not lead to the sandbox's hosted page ({to_gateway.status_code})")
        hosted = http.get(hosted_url, timeout=HTTP_TIMEOUT)
        demo.expect(hosted.status_code == 200, f"the hosted payment page answered {hosted.status_code}")
        request_fields = dict(HIDDEN_RE.findall(hosted.text))
        result = http.post(hosted.url.split("?", 1)[0], timeout=HTTP_TIMEOUT,
                           data={**request_fields, "card_number": APPROVED_CARD})
        callback_url = CALLBACK_RE.search(result.text)
        demo.expect(result.status_code == 200 and "Payment approved" in result.text and callback_url,
                    f"the hosted page did not approve the test card ({result.status_code})")
        assert callback_url is not None
        demo.say(f"  Pay Now with Card (Sandbox): the hosted page at {base}/modules/gateways/sandbox/pay takes "
                 f"the test card {APPROVED_CARD} and posts its signed callback back to the host")
        back = http.post(callback_url.group(1), data=dict(HIDDEN_RE.findall(result.text)), timeout=HTTP_TIMEOUT)
        demo.expect(back.status_code == 200 and "your payment was received" in back.text,
                    f"the callback did not bring {client.persona.email} back to a paid invoice ({back.status_code})")
    demo.say(f"  back on invoice #{client.invoice_id}: Paid, {format_money(client.total, client.currency)} "
             f"by Card (Sandbox)")


def pay_with_credit(demo: "Demo", client: DemoClient, amount: Decimal, reason: str) -> None:
    """The admin adds credit with a reason; the client applies it on the invoice page."""
    balance = demo.host.payments.add_credit(client.client_id, amount, reason=reason, actor=ADMIN_USERNAME)
    demo.say(f"  the admin adds {format_money(amount, client.currency)} of credit to {client.persona.first_name} "
             f"({reason}); balance {format_money(balance, client.currency)}")
    base = demo.web.url
    with _session() as http:
        home = _log_in(demo, http, client)
        page = _invoice_page(demo, http, client, home)
        demo.expect("Apply Credit" in page, f"invoice #{client.invoice_id} offers no credit to apply")
        applied = http.post(f"{base}/clientarea/invoices/{client.invoice_id}/apply-credit", timeout=HTTP_TIMEOUT,
                            data={"csrf_token": _csrf(demo, page, "the invoice page"), "amount": ""})
        demo.expect(applied.status_code == 200 and "the invoice is paid" in applied.text,
                    f"applying credit did not pay invoice #{client.invoice_id} ({applied.status_code})")
    demo.say(f"  {client.persona.first_name} logs in and clicks Apply Credit on invoice #{client.invoice_id}: "
             f"Paid, {format_money(client.total, client.currency)} from credit "
             f"({format_money(balance - client.total, client.currency)} of credit left)")
