"""Real sockets without the simulator: TLS problems, wrong scheme, closed port."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from solusio_addon.solusio_api import (
    SolusioClient,
    SolusioConnectionError,
    SolusioTLSError,
)

KEY = "net-SECRET-token-abcdef"
USER = {"id": 1, "email": "admin@example.com", "status": "active", "billing_user_id": None,
        "created_at": "2026-07-01T00:00:00Z", "roles": [], "limit_group": None}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path.startswith("/api/v1/account"):
            body = {"data": USER}
        else:
            body = {"data": [], "links": {"next": None}, "meta": {"current_page": 1, "last_page": 1}}
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def _serve(tls: tuple[str, str] | None):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def https_port(cert_files):
    server = _serve(cert_files)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def http_port():
    server = _serve(None)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_self_signed_certificate_is_refused_by_default(https_port):
    c = SolusioClient(f"https://127.0.0.1:{https_port}", KEY, retries=1, backoff=0)
    with pytest.raises(SolusioTLSError) as ei:
        c.test_connection()
    msg = str(ei.value)
    assert "certificate" in msg and "self-signed" in msg and "Trust self-signed certificate" in msg
    assert KEY not in msg and KEY not in (ei.value.detail or "")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_trusting_the_self_signed_certificate_works(https_port, cert_files):
    c = SolusioClient(f"https://127.0.0.1:{https_port}", KEY, verify=False, retries=0)
    assert c.test_connection().user.email == "admin@example.com"
    c2 = SolusioClient(f"https://127.0.0.1:{https_port}", KEY, verify=cert_files[0], retries=0)
    assert c2.test_connection().user.id == 1


def test_https_url_on_a_plain_http_port(http_port):
    c = SolusioClient(f"https://127.0.0.1:{http_port}", KEY, retries=0)
    with pytest.raises(SolusioTLSError, match=rf"does not speak HTTPS.*use http://127\.0\.0\.1:{http_port}"):
        c.test_connection()


def test_http_url_on_an_https_port(https_port):
    c = SolusioClient(f"http://127.0.0.1:{https_port}", KEY, retries=1, backoff=0)
    with pytest.raises(SolusioConnectionError, match=rf"use https://127\.0\.0\.1:{https_port}"):
        c.test_connection()


def test_closed_port_gives_a_readable_connection_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = SolusioClient(f"http://127.0.0.1:{port}", KEY, retries=2, backoff=0)
    with pytest.raises(SolusioConnectionError) as ei:
        c.test_connection()
    assert str(ei.value) == (f"Could not connect to SolusIO at http://127.0.0.1:{port}: the connection was "
                             "refused (nothing listens on that port). Check the installation URL and port, "
                             "and that SolusIO is running.")
    assert ei.value.maybe_processed is False


def test_unknown_host_name():
    c = SolusioClient("https://solusio.invalid", KEY, retries=0)
    with pytest.raises(SolusioConnectionError, match="could not be resolved"):
        c.test_connection()


def test_ca_bundle_from_the_environment_is_used_when_verify_is_on(https_port, cert_files, monkeypatch):
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert_files[0])
    c = SolusioClient(f"https://127.0.0.1:{https_port}", KEY, retries=0)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # read when the client was built, not per call
    assert c.test_connection().user.id == 1

    monkeypatch.setenv("CURL_CA_BUNDLE", cert_files[0])
    assert SolusioClient(f"https://127.0.0.1:{https_port}", KEY, retries=0).test_connection().user.id == 1


def test_an_explicit_verify_wins_over_the_ca_bundle_environment(https_port, cert_files, tmp_path, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert_files[0])
    other = tmp_path / "other.pem"
    other.write_text(Path(certifi.where()).read_text())  # public CAs only
    with pytest.raises(SolusioTLSError):  # the explicit bundle does not hold the self-signed certificate
        SolusioClient(f"https://127.0.0.1:{https_port}", KEY, verify=str(other), retries=0).test_connection()


def test_a_ca_bundle_environment_naming_no_file_is_refused(monkeypatch):
    from solusio_addon.solusio_api import SolusioConfigError

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    with pytest.raises(SolusioConfigError, match="REQUESTS_CA_BUNDLE"):
        SolusioClient("https://solus.example.com", KEY)
