"""What the story is made of: its calendar, the post-pay terms and prices, the three visitors.

The story is fixed in July and August 2026 so that it tells the same thing whenever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

UTC = timezone.utc

STORY_START = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # signups
INVOICE_DAY = date(2026, 8, 1)  # SolusioAutomation bills July
PAYMENT_DAY = date(2026, 8, 5)  # two clients pay on time
HOUR_OF_DAY = 6  # UTC hour the story's later days happen at

GRACE_DAYS, LOCK_DAYS, SUSPEND_DAYS = 14, 7, 14
TOKEN_PRICES = {"USD": "0.0100", "EUR": "0.0092"}
COMPANY = "Demo Cloud"
TOS_URL = "https://example.com/terms"
POSTPAY_TERMS_URL = "https://example.com/postpay-terms"
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
#: The demo clients' password (demo data: printed by ``--serve`` so you can log in as them).
CLIENT_PASSWORD = "Cloud-Demo-2026!"
#: The credit the admin gives the client who pays with credit, and why (in the client's currency).
CREDIT_AMOUNT = Decimal("40.00")
CREDIT_REASON = "Goodwill for the network maintenance in July"
#: ``Persona.pays_by`` in words.
PAYS_BY = {"banktransfer": "by bank transfer", "credit": "with account credit",
           "card": "by card on the sandbox's hosted page"}


class DemoError(Exception):
    """The story could not be told: what went wrong, in one sentence."""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Server:
    name: str
    plan: str
    start: str
    stop: str | None = None
    additional_ips: int = 0


@dataclass(frozen=True)
class Persona:
    first_name: str
    last_name: str
    company: str
    email: str
    currency: str
    story: str
    servers: tuple[Server, ...]
    pays_on_time: bool = True
    #: How the July invoice is paid: "banktransfer" (the admin records it), "credit" (the admin
    #: adds credit, the client applies it) or "card" (the client, on the sandbox's hosted page).
    pays_by: str = "banktransfer"


PERSONAS = (
    Persona("Ada", "Lovelace", "Analytical Engines Ltd", "ada@example.com", "USD",
            "a Small server for one week", (Server("ada-web", "Small", "2026-07-03T09:00", "2026-07-10T09:00"),)),
    Persona("Grace", "Hopper", "Compiler Works GmbH", "grace@example.com", "EUR",
            "a Medium server all month (the monthly cap applies); does not pay",
            (Server("grace-build", "Medium", "2026-07-01T09:00"),), pays_on_time=False, pays_by="card"),
    Persona("Alan", "Turing", "Bletchley Labs", "alan@example.com", "USD",
            "a Small server with one additional IP from the 15th",
            (Server("alan-app", "Small", "2026-07-15T00:00", additional_ips=1),), pays_by="credit"),
)


@dataclass
class DemoClient:
    """A persona once signed up: its ids on both sides, and its July invoice."""

    persona: Persona
    client_id: int = 0
    solusio_user_id: int = 0
    invoice_id: int = 0
    total: Decimal = Decimal("0")
    currency: str = ""
