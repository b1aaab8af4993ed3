"""Mail: every message is logged; delivered through a real SMTP server when one is configured."""

from __future__ import annotations

import asyncio
import socket
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from hostsim.db.models import EmailLog, EmailStatus

UTC = timezone.utc


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting, so it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def log_entries(host) -> list[EmailLog]:
    with host.sessions() as s:
        return list(s.scalars(select(EmailLog).order_by(EmailLog.id)))


def test_without_smtp_the_message_is_kept_in_the_log(host):
    entry = host.mail.send("ann@example.com", "Hello", "Body text")
    assert entry.status == "logged"
    assert [(e.to, e.subject, e.body_text) for e in log_entries(host)] == [("ann@example.com", "Hello", "Body text")]


def test_delivered_through_a_real_smtp_server(host, smtp_server):
    controller, inbox = smtp_server
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(controller.port),
                            "smtp_security": "none", "company_name": "Acme Cloud", "mail_from": "billing@acme.test"})
    entry = host.mail.send("ann@example.com", "Invoice #7", "Pay me", body_html="<p>Pay me</p>")
    assert entry.status == "sent"
    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert received["To"] == "ann@example.com"
    assert received["Subject"] == "Invoice #7"
    assert "Acme Cloud" in received["From"]
    assert log_entries(host)[-1].status == "sent"


def test_smtp_failure_is_logged_not_raised(host):
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none"})
    entry = host.mail.send("ann@example.com", "Hi", "x")
    assert entry.status == "failed" and "Connection" in entry.error
    assert log_entries(host)[-1].status == "failed"


@pytest.mark.parametrize(("to", "subject"), [("not-an-address", "x"), ("a@b.c\nBcc: evil@x.y", "x"),
                                             ("a@b.co", "line\nInjected: 1")])
def test_header_injection_is_refused(host, to, subject):
    with pytest.raises(ValueError):
        host.mail.send(to, subject, "x")
    assert log_entries(host) == []


def test_smtp_password_is_stored_encrypted_and_never_logged(host):
    host.settings.set_many({"smtp_password": "hunter2-secret"})
    assert host.settings.get("smtp_password") == "hunter2-secret"
    from hostsim.db.models import ActivityLog, HostSetting
    with host.sessions() as s:
        row = s.get(HostSetting, "smtp_password")
        assert row.encrypted and "hunter2" not in row.value
        assert all("hunter2" not in a.description for a in s.scalars(select(ActivityLog)))


@pytest.mark.parametrize(("key", "value"), [("smtp_port", "99999"), ("smtp_port", "abc"),
                                            ("smtp_security", "tls13"), ("tos_url", "ftp://x"), ("nope", "1")])
def test_bad_settings_name_the_field_and_save_nothing(host, key, value):
    before = host.settings.all()
    with pytest.raises(ValueError, match=f"^{key}: "):
        host.settings.set_many({"company_name": "Changed", key: value})
    assert host.settings.all() == before


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 (key and cert as PEM files)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_starttls_with_credentials_through_a_real_server(host, tmp_path, monkeypatch):
    """STARTTLS, certificate verified, then AUTH: the server refuses AUTH before TLS."""
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert_path, key_path = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"mailer" and auth_data.password == b"s3cret-pass")

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True,
                            ssl_context=None)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the host trusts this test CA, as an admin would
    try:
        host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "starttls",
                                "smtp_username": "mailer", "smtp_password": "s3cret-pass"})
        entry = host.mail.send("ann@example.com", "Over TLS", "hello")
    finally:
        controller.stop()
    assert entry.status == "sent", entry.error
    assert logins == [(b"mailer", b"s3cret-pass")]
    assert inbox.messages[0]["Subject"] == "Over TLS"


def test_queued_mail_commits_with_the_change_or_not_at_all(host):
    from hostsim.services.mail import Outgoing
    with pytest.raises(RuntimeError):
        with host.transaction() as s:
            host.mail.queue(s, [Outgoing("ann@example.com", "Rolled back", "x")])
            raise RuntimeError("the change failed")
    assert log_entries(host) == []
    with host.transaction() as s:
        ids = host.mail.queue(s, [Outgoing("ann@example.com", "Kept", "x")])
    assert [(e.id, e.subject, e.status) for e in log_entries(host)] == [(ids[0], "Kept", "logged")]


def test_the_sweep_delivers_what_a_crash_left_queued_exactly_once(host, smtp_server):
    """SMTP configured: a message queued by a process that died before delivering is sent by
    the DeliverQueuedMail sweep, once, even when two sweeps run."""
    from hostsim.services.mail import Outgoing
    controller, inbox = smtp_server
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(controller.port), "smtp_security": "none"})
    with host.transaction() as s:
        host.mail.queue(s, [Outgoing("ann@example.com", f"Invoice #{n}", "x") for n in range(3)])
    assert {e.status for e in log_entries(host)} == {"queued"}  # ...and the process died here
    assert host.mail.deliver() == {"sent": 3, "failed": 0}
    assert host.mail.deliver() == {"sent": 0, "failed": 0}
    assert sorted(m["Subject"] for m in inbox.messages) == ["Invoice #0", "Invoice #1", "Invoice #2"]
    assert {e.status for e in log_entries(host)} == {"sent"}


def _in_flight(host, port: int, *, claimed_at, created: date | None = None) -> int:
    """A message another process claimed for sending at ``claimed_at`` (wall clock); queued
    while the host clock said ``created`` when given."""
    from sqlalchemy import update

    from hostsim.services.mail import Outgoing
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none"})
    if created is not None:
        host.clock.set_today(created)
    with host.transaction() as s:
        (message_id,) = host.mail.queue(s, [Outgoing("ann@example.com", "Once", "x")])
        s.execute(update(EmailLog).values(status="sending", claimed_at=claimed_at))
    host.clock.reset()
    return message_id


def test_a_message_another_process_is_sending_is_left_alone_until_its_claim_is_stale(host, smtp_server):
    """Stale by the wall clock only: a claim made a moment ago is left alone; one made longer
    than STALE_CLAIM ago (its process died mid-send) is claimed again, once."""
    from hostsim.services.mail import STALE_CLAIM
    controller, inbox = smtp_server
    message_id = _in_flight(host, controller.port, claimed_at=datetime.now(UTC))
    assert host.mail.deliver() == {"sent": 0, "failed": 0}
    assert host.mail.deliver([message_id]) == {"sent": 0, "failed": 0}
    with host.transaction() as s:
        s.get_one(EmailLog, message_id).claimed_at = datetime.now(UTC) - STALE_CLAIM - timedelta(seconds=1)
    before = datetime.now(UTC)
    assert host.mail.deliver() == {"sent": 1, "failed": 0}
    assert host.mail.deliver() == {"sent": 0, "failed": 0}
    assert [m["Subject"] for m in inbox.messages] == ["Once"]
    (entry,) = log_entries(host)
    assert entry.status == "sent" and before <= entry.claimed_at <= datetime.now(UTC)  # our own claim, wall clock


def test_a_host_clock_far_ahead_does_not_make_a_claim_stale(host, smtp_server, cli):
    """``cron ... --today`` years ahead: the message another process is sending stays its own."""
    controller, inbox = smtp_server
    message_id = _in_flight(host, controller.port, claimed_at=datetime.now(UTC))
    host.clock.set_today(date(2031, 1, 1))
    assert host.mail.deliver() == {"sent": 0, "failed": 0}
    host.clock.reset()
    result = cli(host, "cron", "do", "--DeliverQueuedMail", "--today", "2031-01-01", "-v")
    assert result.exit_code == 0, result.output
    assert "DeliverQueuedMail: 0 sent, 0 failed" in result.stdout
    assert inbox.messages == []
    assert [e.status for e in log_entries(host)] == ["sending"]
    with host.sessions() as s:
        assert s.get_one(EmailLog, message_id).status == "sending"


def test_an_old_message_mid_send_is_not_claimed_twice(host, smtp_server):
    """Queued long ago (its created_at is old), claimed just now: not stale."""
    controller, inbox = smtp_server
    _in_flight(host, controller.port, claimed_at=datetime.now(UTC), created=date(2025, 1, 1))
    assert host.mail.deliver() == {"sent": 0, "failed": 0}
    assert inbox.messages == []


def test_a_claim_is_timed_by_the_wall_clock_not_the_host_clock(host, smtp_server):
    from hostsim.services.mail import Mailer, Outgoing
    controller, inbox = smtp_server
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(controller.port), "smtp_security": "none"})
    wall = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    mailer = Mailer(host, wall_clock=lambda: wall)
    host.clock.set_today(date(2031, 1, 1))
    with host.transaction() as s:
        ids = mailer.queue(s, [Outgoing("ann@example.com", "Timed", "x")])
    assert mailer.deliver(ids) == {"sent": 1, "failed": 0}
    (entry,) = log_entries(host)
    assert entry.claimed_at == wall and entry.created_at.year == 2031


class CountingController(Controller):
    """Counts the SMTP connections it serves (aiosmtpd builds one protocol object per connection)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


class PickyInbox(Inbox):
    """Refuses the recipients in ``refused``; hangs up right after accepting message number
    ``hang_up_after``, as a server with a per-connection message limit does, or on the first
    NOOP after it (a server closing an idle connection)."""

    def __init__(self, refused: tuple[str, ...] = (), hang_up_after: int | None = None, on: str = "DATA") -> None:
        super().__init__()
        self.refused = refused
        self.hang_up_after = hang_up_after
        self.on = on

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.on == "DATA" and self.hang_up_after is not None and len(self.messages) >= self.hang_up_after:
            self.hang_up_after = None
            asyncio.get_running_loop().call_soon(server.transport.close)  # once the reply is written
        return reply

    async def handle_NOOP(self, server, session, envelope, arg):
        self.noops = getattr(self, "noops", 0) + 1
        if self.on == "NOOP" and self.hang_up_after is not None and len(self.messages) >= self.hang_up_after:
            self.hang_up_after = None
            server.transport.close()
            return "421 closing the connection"
        return "250 OK"


def start_counting_server(inbox: Inbox) -> CountingController:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = CountingController(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    controller.connections = 0  # not the readiness probe of start()
    return controller


def queue_five(host, port: int) -> list[int]:
    from hostsim.services.mail import Outgoing
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_security": "none"})
    with host.transaction() as s:
        return host.mail.queue(s, [Outgoing(f"client{n}@example.com", f"Invoice #{n}", "x") for n in range(5)])


def test_a_batch_is_delivered_over_one_connection(host):
    inbox = Inbox()
    controller = start_counting_server(inbox)
    try:
        ids = queue_five(host, controller.port)
        assert host.mail.deliver(ids) == {"sent": 5, "failed": 0}
        assert host.mail.deliver() == {"sent": 0, "failed": 0}  # each message claimed and sent once
    finally:
        controller.stop()
    assert controller.connections == 1
    assert sorted(m["Subject"] for m in inbox.messages) == [f"Invoice #{n}" for n in range(5)]
    assert {e.status for e in log_entries(host)} == {EmailStatus.SENT}


def test_a_refused_message_fails_alone_and_the_batch_goes_on(host):
    inbox = PickyInbox(refused=("client2@example.com",))
    controller = start_counting_server(inbox)
    try:
        assert host.mail.deliver(queue_five(host, controller.port)) == {"sent": 4, "failed": 1}
    finally:
        controller.stop()
    assert controller.connections == 1  # a refusal leaves the connection usable
    assert sorted(m["To"] for m in inbox.messages) == [f"client{n}@example.com" for n in (0, 1, 3, 4)]
    failed = [e for e in log_entries(host) if e.status is EmailStatus.FAILED]
    assert [e.to for e in failed] == ["client2@example.com"] and "SMTPRecipientsRefused" in failed[0].error


def test_a_dropped_connection_is_opened_again(host):
    inbox = PickyInbox(hang_up_after=2)
    controller = start_counting_server(inbox)
    try:
        assert host.mail.deliver(queue_five(host, controller.port)) == {"sent": 5, "failed": 0}
    finally:
        controller.stop()
    assert controller.connections == 2
    assert sorted(m["Subject"] for m in inbox.messages) == [f"Invoice #{n}" for n in range(5)]
    assert getattr(inbox, "noops", 0) == 0  # a burst pays no liveness round trip per message


def test_a_connection_idle_too_long_is_checked_and_opened_again(host, monkeypatch):
    monkeypatch.setattr("hostsim.services.smtp.IDLE_CHECK", 0.0)  # every message finds it idle
    inbox = PickyInbox(hang_up_after=2, on="NOOP")
    controller = start_counting_server(inbox)
    try:
        assert host.mail.deliver(queue_five(host, controller.port)) == {"sent": 5, "failed": 0}
    finally:
        controller.stop()
    assert controller.connections == 2 and inbox.noops == 4
    assert sorted(m["Subject"] for m in inbox.messages) == [f"Invoice #{n}" for n in range(5)]


def test_two_deliveries_of_the_same_batch_send_each_message_once(host, smtp_server):
    """Two processes sweeping at once (threads here, each with its own connections): the batch
    claims skip what the other holds, so every message goes out exactly once."""
    import threading

    from hostsim.services.mail import CLAIM_BATCH, Mailer, Outgoing
    controller, inbox = smtp_server
    host.settings.set_many({"smtp_host": "127.0.0.1", "smtp_port": str(controller.port), "smtp_security": "none"})
    count = CLAIM_BATCH * 2 + 7  # several claim batches, the last one partial
    with host.transaction() as s:
        ids = host.mail.queue(s, [Outgoing(f"c{n}@example.com", f"Invoice #{n}", "x") for n in range(count)])
    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        start.wait()
        results.append(Mailer(host).deliver(ids))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == count and sum(r["failed"] for r in results) == 0
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"c{n}@example.com" for n in range(count))
    assert {e.status for e in log_entries(host)} == {EmailStatus.SENT}
