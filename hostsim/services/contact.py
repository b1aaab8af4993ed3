"""The client area's Contact Us form: a visitor's or a client's message, emailed to the company.

The message goes through the outbox like every other email (queued in one transaction with its
activity-log line, delivered after the commit), from the company's sender address to the
Contact Us address (General Settings; the sender address when empty), with ``Reply-To`` the
writer's address, so that answering it in any mail program reaches them.

Abuse: a hidden ``website`` field that people leave empty and form-filling robots do not (such a
message is dropped, and the robot is told it was sent); at most ``PER_EMAIL`` messages per address
and ``PER_ADDRESS`` per IP address in the login throttle's window (its counters, area ``contact``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hostsim.services.clients import ClientError, normalise_email
from hostsim.services.mail import Outgoing
from hostsim.services.throttle import LoginThrottle

if TYPE_CHECKING:
    from hostsim.db.models import Client
    from hostsim.host import Host

FIELDS = ("name", "email", "subject", "message")
MAX_LENGTHS = {"name": 100, "email": 254, "subject": 150, "message": 5000}
PER_EMAIL = 3
PER_ADDRESS = 10


@dataclass
class ContactOutcome:
    """``sent`` True, or ``errors`` by field (``general`` for a limit reached)."""

    sent: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def check(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned values and each field's problem, all at once."""
    clean = {key: (values.get(key) or "").strip() for key in FIELDS}
    clean["message"] = "\n".join(line.rstrip() for line in clean["message"].splitlines())  # a browser sends CRLF
    errors: dict[str, str] = {}
    for key, what in (("name", "your name"), ("subject", "a subject"), ("message", "your message")):
        if not clean[key]:
            errors[key] = f"Enter {what}."
    try:
        clean["email"] = normalise_email(clean["email"])
    except ClientError:
        errors["email"] = "Enter a valid email address, so that we can answer you."
    for key, limit in MAX_LENGTHS.items():
        if key not in errors and len(clean[key]) > limit:
            errors[key] = f"Use at most {limit:,} characters (this has {len(clean[key]):,})."
    return clean, errors


def send_contact_message(host: "Host", values: dict[str, str], *, ip: str,
                         client: "Client | None" = None) -> ContactOutcome:
    """Check the form and email the message to the company, or say what is wrong."""
    clean, errors = check(values)
    if errors:
        return ContactOutcome(errors=errors)
    if (values.get("website") or "").strip():
        return ContactOutcome(sent=True)  # a robot: told it worked, nothing sent
    throttle = LoginThrottle(host, "contact", account_limit=PER_EMAIL, address_limit=PER_ADDRESS)
    reservation = throttle.reserve(clean["email"], ip)
    if not reservation.allowed:
        minutes = reservation.wait_minutes
        return ContactOutcome(errors={"general": "You have sent us several messages in a short time. Please try "
                                                 f"again in {minutes} minute{'s' if minutes != 1 else ''}."})
    settings = host.settings.all()
    to = settings["contact_email"] or settings["mail_from"]
    who = f"client #{client.id}" if client is not None else "a visitor"
    body = (f"{clean['name']} <{clean['email']}> ({who}, from {ip or 'an unknown address'}) wrote through "
            f"the Contact Us form:\n\n{clean['message']}\n")
    topic = " ".join(clean["subject"].split())  # one line
    subject = f"Contact Us: {topic}"
    with host.transaction() as s:
        ids = host.mail.queue(s, [Outgoing(to, subject, body, client_id=client.id if client else None,
                                           reply_to=clean["email"])])
        host.activity.log(f"Contact Us message from {clean['name']} ({clean['email']}): \u201c{topic}\u201d",
                          actor=clean["email"], client_id=client.id if client else None, ip=ip, session=s)
    host.mail.deliver_after_commit(ids)
    return ContactOutcome(sent=True)
