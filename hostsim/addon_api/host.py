"""The Host an addon receives in every hook: what an addon may ask of the billing host.

Each attribute is a small service with the host's guarantees built in: changes that the host
reacts to (a client's details, a payment) fire the host's events; mail written inside a
transaction is delivered by the host after that transaction commits. An addon reads the host's
tables through the read models this package exports, and changes them only through here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hostsim.crypto import derive_key
from hostsim.db.models import InvoiceStatus
from hostsim.db.on_commit import on_commit
from hostsim.services import clients as client_service
from hostsim.services.invoices import CreatedInvoice, InvoiceSpec
from hostsim.services.mail import Outgoing
from hostsim.services.worker_processes import WorkerExit, worker_name

if TYPE_CHECKING:
    from hostsim.clock import Clock
    from hostsim.db.models import Client
    from hostsim.host import Host as CoreHost
    from hostsim.plugins.gateway_types import GatewayParams


class Settings:
    """The host's General Settings, read-only (``company_name``, ``tos_url``, ``theme``...)."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def get(self, key: str) -> str:
        """One setting's value ('' when unset). ``KeyError`` for a key the host does not have."""
        return self._core.settings.get(key)


class AddonSettings:
    """An addon's stored settings: its config fields (admin-edited) and its own private keys."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def get_all(self, module: str) -> dict[str, str]:
        """Every setting of ``module``: config defaults filled in, secrets decrypted."""
        return self._core.addon_settings.get_all(module)

    def set_private(self, module: str, values: Mapping[str, str], *, secret_keys: frozenset[str] = frozenset(),
                    actor: str = "System") -> list[str]:
        """Store the addon's own keys (encrypting ``secret_keys``), logging each change without
        its value for secrets. Returns the keys that changed."""
        return self._core.addon_settings.set_private(module, values, secret_keys=secret_keys, actor=actor)


class ActivityLog:
    """The admin activity log (System > Activity Log)."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def log(self, description: str, *, actor: str = "System", admin_id: int | None = None,
            client_id: int | None = None, ip: str = "", session: Session | None = None) -> None:
        """Record one entry; inside ``session`` when given, so it commits (or not) with the change."""
        self._core.activity.log(description, actor=actor, admin_id=admin_id, client_id=client_id, ip=ip,
                                session=session)


class Secrets:
    """Secrets at rest and keys derived from the instance's master key (never printed)."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def encrypt(self, plaintext: str) -> str:
        return self._core.secrets.encrypt(plaintext)

    def decrypt(self, stored: str) -> str:
        return self._core.secrets.decrypt(stored)

    def derive_key(self, purpose: str, length: int = 32) -> bytes:
        """A key for one ``purpose`` (signing links, say), stable for the instance."""
        return derive_key(self._core.config.secret_key(), purpose, length)


class Mail:
    """Email through the host's outbox (the email log) and its SMTP settings."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def send(self, to: str, subject: str, body_text: str, *, body_html: str = "",
             client_id: int | None = None) -> int:
        """Queue one message in a transaction of its own and deliver it now; its email log id."""
        return self._core.mail.send(to, subject, body_text, body_html=body_html, client_id=client_id).id

    def queue(self, session: Session, messages: Sequence[Outgoing]) -> list[int]:
        """Write ``messages`` into the outbox in the caller's ``session``; the host delivers them
        once that transaction commits (and the DeliverQueuedMail task after a crash)."""
        ids = self._core.mail.queue(session, messages)
        if ids:
            on_commit(session, lambda: self._core.mail.deliver_after_commit(ids))
        return ids

    def in_background(self, expected: int = 0) -> AbstractContextManager[object]:
        """Within the block, mail queued by committed transactions goes out in the background
        while the caller goes on; leaving waits until it is sent. For a long job that commits
        batch after batch (a month-end). ``expected``: about how many messages the job sends; a
        large job's mail is sent by a process of its own, leaving this one's CPU to the job."""
        return self._core.mail.in_background(expected)


class Invoices:
    """Invoices through the host's invoice API (validated; events and emails handled)."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core
        self._mail = Mail(core)

    def create_many(self, session: Session, specs: Sequence[InvoiceSpec], *, email: bool = False) -> list[CreatedInvoice]:
        """Add invoices in the caller's ``session`` with a few bulk statements, all or none
        (``InvoiceError`` names the bad field). With ``email=True`` each Unpaid invoice's
        "Customer Invoice" email is queued in the same transaction and delivered after it
        commits: an invoice is never committed unmailed, nor mailed twice."""
        created = self._core.invoices.create_many(session, specs)
        if email and created:
            unpaid = [c.id for c, spec in zip(created, specs) if spec.status is InvoiceStatus.UNPAID]
            self._mail.queue(session, self._core.invoices.invoice_emails(unpaid, session=session))
        return created

    def add_payment(self, invoice_id: int, amount: Decimal, *, gateway: str = "manual", transaction_id: str = "",
                    actor: str = "System") -> bool:
        """Record a payment; True when it made the invoice Paid (the receipt is mailed and
        ``invoice_paid`` fires, exactly as for a payment an admin records)."""
        return self._core.invoices.add_payment(invoice_id, amount, gateway=gateway, transaction_id=transaction_id,
                                               actor=actor)


class Workers:
    """Worker processes of this instance, for a task that spreads its work over processes (and
    over hosts: the work is claimed through the database, so any process may take a share)."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def unsupported(self) -> str:
        """Why this instance runs no worker processes (SQLite), or "" when it can."""
        return self._core.worker_processes.unsupported()

    def run(self, target: Callable[..., None], count: int, *args: Any,
            on_wait: Callable[[], None] | None = None) -> list[WorkerExit]:
        """Run ``target(host, index, *args)`` in ``count`` fresh processes, each with its own
        ``Host`` on this database (same addons, clock and logging), and wait for them; how each
        ended. ``on_wait()`` is called every few seconds meanwhile. ``target`` must be a
        module-level function and ``args`` picklable."""
        return self._core.worker_processes.run(target, count, *args, on_wait=on_wait)

    def name(self) -> str:
        """This process's name as a worker ("host:pid"), for recording who did a share."""
        return worker_name()


class Clients:
    """Client accounts: registration and detail changes, with the host's rules and events."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def register(self, session: Session, *, first_name: str, last_name: str, email: str, password: str,
                 company: str = "", currency_code: str | None = None, email_verified: bool = False) -> "Client":
        """Validate and add a client in the caller's ``session`` (``ClientError`` names the field)."""
        return client_service.create_client(session, first_name=first_name, last_name=last_name, email=email,
                                            password=password, company=company, currency_code=currency_code,
                                            email_verified=email_verified, now=self._core.clock.now())

    def find_by_email(self, session: Session, email: str) -> "Client | None":
        return client_service.find_by_email(session, email)

    def update(self, client_id: int, *, actor: str = "System", session: Session | None = None,
               **changes: Any) -> dict[str, tuple[Any, Any]]:
        """Change details (first_name, last_name, company, email, currency_id, status,
        email_verified), logged; ``client_edit`` fires after the commit, and ``client_status_change``
        when ``status`` changed. Returns what changed."""
        return client_service.update_client(self._core, client_id, actor=actor, session=session, **changes)

    def verify_email(self, client_id: int, *, actor: str = "System", session: Session | None = None) -> bool:
        """Mark the client's email address as proven; True when that changed it."""
        return bool(self.update(client_id, actor=actor, session=session, email_verified=True))


class Templates:
    """The host's template lookup: the active theme's override first, then the addon's file."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def template_name(self, module: str, name: str) -> str:
        """The lookup name of an addon template (``post-pay/landing-page`` ->
        ``addons/<module>/post-pay/landing-page.tpl``), for :func:`render_client_page`."""
        return self._core.templates.addon_template_name(module, name)

    def render(self, module: str, name: str, **context: Any) -> str:
        """Render an addon template (an email body, a fragment) through the theme lookup."""
        return self._core.templates.render_addon(module, name, **context)


class Payments:
    """Payment gateways and account credit, as a gateway module's own pages and an addon need them."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core

    def gateway_params(self, name: str) -> "GatewayParams | None":
        """An ACTIVE gateway's settings (secrets decrypted) and callback URL; None when inactive."""
        if self._core.payment_gateways.get_active(name) is None:
            return None
        return self._core.payment_gateways.params(name)

    def instructions(self, invoice_id: int) -> str:
        """How to pay an invoice, as plain text (Bank Transfer's details with the invoice number)."""
        return self._core.payment_gateways.instructions(invoice_id)

    def apply_credit(self, invoice_id: int, amount: Decimal | None = None, *, actor: str = "System") -> Decimal:
        """Apply the client's credit to an Unpaid invoice (as much as covers it by default); the amount applied."""
        return self._core.credit.apply(invoice_id, amount, actor=actor).amount

    def add_credit(self, client_id: int, amount: Decimal, *, reason: str, actor: str = "System") -> Decimal:
        """Add (or, negative, remove) a client's credit with a reason; the new balance."""
        return self._core.credit.adjust(client_id, amount, reason=reason, actor=actor)


class Host:
    """What an addon may use of the billing host. Built by the host; addons never construct it."""

    def __init__(self, core: "CoreHost") -> None:
        self._core = core
        self.settings = Settings(core)
        self.addon_settings = AddonSettings(core)
        self.activity = ActivityLog(core)
        self.secrets = Secrets(core)
        self.mail = Mail(core)
        self.invoices = Invoices(core)
        self.clients = Clients(core)
        self.templates = Templates(core)
        self.payments = Payments(core)
        self.workers = Workers(core)

    def __repr__(self) -> str:
        return f"addon_api.Host({self._core!r})"

    @property
    def engine(self) -> Engine:
        """The database engine, for the addon's own migrations and Core statements."""
        return self._core.engine

    @property
    def clock(self) -> "Clock":
        """The host's one clock (``now()`` aware UTC, ``today()`` in the host's time zone, ``tz``)."""
        return self._core.clock

    @property
    def base_url(self) -> str:
        """The host's public URL, without a trailing slash (for links in emails)."""
        return self._core.config.base_url.rstrip("/")

    def sessions(self) -> Session:
        """A new database session (``with host.sessions() as s:``) for reads."""
        return self._core.sessions()

    def transaction(self) -> AbstractContextManager[Session]:
        """One unit of work: commits on success, rolls back on any exception; the host's
        after-commit work (mail delivery, events) runs once it has committed."""
        return self._core.transaction()
