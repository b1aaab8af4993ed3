"""The visitors' path through the host's real pages, over HTTP: the landing page, the signup
form, the link the host emailed them (read from the email log: no SMTP is configured) and the
terms; then SolusIO asking the host, through the billing integration, what a plan costs them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests
from sqlalchemy import select

from hostsim.addon_api import Client, format_money
from solusio_addon.demo.scenario import CLIENT_PASSWORD, DemoError, Persona

if TYPE_CHECKING:
    from solusio_addon.demo.story import Demo

HTTP_TIMEOUT = 30
LANDING = "/index.php?m=solusio"
SIGNUP_PATH = "/modules/addons/solusio/signup"
COMPLETE_PATH = "/modules/addons/solusio/signup/complete"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"(https?://\S+/modules/addons/solusio/signup/complete\?token=[A-Za-z0-9_.\-]+)")


def sign_up(demo: "Demo", persona: Persona) -> int:
    """The visitor's path: landing page, form, emailed link, terms; returns the new client id."""
    base = demo.web.url
    http = requests.Session()
    http.trust_env = False  # loopback: never through a proxy from the environment
    with http:
        landing = http.get(base + LANDING, timeout=HTTP_TIMEOUT)
        demo.expect(landing.status_code == 200 and CSRF_RE.search(landing.text),
                    f"the landing page answered {landing.status_code}")
        demo.note(f"{persona.email}: GET {LANDING} (landing page), POST the signup form")
        sent = http.post(base + SIGNUP_PATH, timeout=HTTP_TIMEOUT, data={
            "first_name": persona.first_name, "last_name": persona.last_name, "company": persona.company,
            "email": persona.email, "password": CLIENT_PASSWORD, "csrf_token": _csrf(landing.text)})
        demo.expect(sent.status_code == 200 and "We have sent an email" in sent.text,
                    f"the signup form for {persona.email} answered {sent.status_code}")
        link = emailed_link(demo, persona.email)
        demo.note(f"{persona.email}: link read from the email log, following it")
        terms = http.get(link, timeout=HTTP_TIMEOUT)
        demo.expect(terms.status_code == 200 and "accept_tos" in terms.text,
                    f"the signup link for {persona.email} answered {terms.status_code}")
        done = http.post(base + COMPLETE_PATH, timeout=HTTP_TIMEOUT, data={
            "csrf_token": _csrf(terms.text), "token": link.split("token=", 1)[1],
            "accept_tos": "1", "accept_postpay": "1"})
        demo.expect(done.status_code == 200 and "Log in to SolusIO" in done.text,
                    f"completing the signup of {persona.email} answered {done.status_code}")
    with demo.host.sessions() as s:
        client_id = s.scalars(select(Client.id).where(Client.email == persona.email)).one()
    demo.say(f"{persona.first_name} {persona.last_name} <{persona.email}>: form sent, link emailed, "
             f"terms accepted -> client #{client_id}, SolusIO user provisioned")
    return client_id


def emailed_link(demo: "Demo", address: str) -> str:
    """The newest signup link emailed to ``address``."""
    for email in reversed(demo.instance.emails(to=address)):
        match = LINK_RE.search(email.body_text)
        if match:
            return match.group(1)
    raise DemoError(f"no signup link was emailed to {address}")


def quote_prices(demo: "Demo") -> None:
    """SolusIO asks the host (billing integration) what a plan costs each client."""
    sim = demo.sim
    plan = next(p for p in sim.state.plans.values() if p.name == "Small")
    quotes = []
    with requests.Session() as http:
        http.trust_env = False
        for client in demo.clients:
            answer = http.get(f"{sim.api_url}plans/{plan.id}", params={"billing_user_id": client.client_id},
                              headers={"Authorization": f"Bearer {sim.admin_token}"}, timeout=HTTP_TIMEOUT)
            price: dict[str, Any] = (answer.json().get("data") or {}).get("price") or {} if answer.ok else {}
            demo.expect(price, f"SolusIO could not get a price for client #{client.client_id} from the host")
            per_month = format_money(Decimal(price["per_month"]), price["currency_code"])
            quotes.append(f"{client.persona.first_name} {per_month}")
    demo.say(f"SolusIO asks the host for prices (billing integration): the {plan.name} plan costs at most "
             f"{', '.join(quotes)} a month")


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise DemoError("no CSRF token on the page")
    return match.group(1)
