"""The bytes a message goes out as are exactly what the email package's compat32 policy writes
(the short cut for one-line ASCII headers changes the cost, not the message)."""

from __future__ import annotations

import io
from email.generator import BytesGenerator
from email.policy import compat32
from types import SimpleNamespace

import pytest

from hostsim.services.smtp import _wire_bytes, build_message

SETTINGS = {"company_name": "Acme Cloud", "mail_from": "billing@acme.test"}


def compat32_bytes(message) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, policy=compat32.clone(linesep="\r\n")).flatten(message, linesep="\r\n")
    return out.getvalue()


@pytest.mark.parametrize("company", ["Acme Cloud", "Société Générale Cloud", "A" * 90])
@pytest.mark.parametrize("entry", [
    SimpleNamespace(to="ann@example.com", subject="Customer Invoice #12", body_text="Hello\nline", body_html="",
                    reply_to=""),
    SimpleNamespace(to="ann@example.com", subject="Fäktura #12 " + "x" * 100, body_text="Grüße\n" + "y" * 1200,
                    body_html="<p>hi</p>", reply_to="visitor@example.org"),
    SimpleNamespace(to="a" * 70 + "@example.com", subject="word " * 30, body_text="b", body_html="", reply_to=""),
])
def test_wire_bytes_are_compat32s(company, entry):
    message = build_message(entry, {**SETTINGS, "company_name": company})
    assert _wire_bytes(message) == compat32_bytes(message)
    assert b"\r\n\r\n" in _wire_bytes(message) and b"\n" not in _wire_bytes(message).replace(b"\r\n", b"")
