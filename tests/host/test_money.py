"""Money is exact on every backend and rounded once, HALF_UP, to the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from hostsim.db.models import Currency, Invoice, InvoiceItem
from hostsim.money import parse_decimal, round_money
from hostsim.services.clients import create_client
from hostsim.services.invoices import InvoiceError, NewItem


def make_client(host, email="ann@example.com", currency="USD"):
    with host.transaction() as s:
        return create_client(s, first_name="Ann", last_name="Lee", email=email, password="Corr3ct-horse!",
                             currency_code=currency, now=host.clock.now()).id


def test_four_decimal_rate_and_large_amount_round_trip_unchanged(host):
    """On SQLite, PostgreSQL and MariaDB alike (HOSTSIM_TEST_DATABASE_URL picks the backend)."""
    rate = Decimal("0.0013")
    big = Decimal("9999999999999999.9999")
    with host.transaction() as s:
        s.add(Currency(code="XTS", prefix="", suffix=" XTS", rate=rate, is_default=False, active=True))
    client_id = make_client(host)
    with host.transaction() as s:
        invoice = host.invoices.create(s, client_id=client_id, items=[NewItem("x", Decimal("0.01"))])
        invoice.credit = big  # the widest amount an ExactDecimal(20, 4) column holds
        invoice_id = invoice.id
    host.engine.dispose()  # read back through a fresh connection, not the identity map
    with host.sessions() as s:
        assert s.scalars(select(Currency.rate).where(Currency.code == "XTS")).one() == rate
        assert s.get(Invoice, invoice_id).credit == big


def test_floats_are_refused_at_the_column(host):
    client_id = make_client(host)
    with pytest.raises(Exception, match="never a float"):
        with host.transaction() as s:
            invoice = host.invoices.create(s, client_id=client_id, items=[NewItem("x", Decimal("1.00"))])
            s.add(InvoiceItem(invoice_id=invoice.id, description="bad", amount=0.1))


@pytest.mark.parametrize("amount", [Decimal("1E+16"), Decimal("10000000000000000"), Decimal("-1E+16"),
                                    Decimal("12345678901234567.5")])
def test_amounts_wider_than_the_column_are_refused_whatever_their_notation(host, amount):
    """NUMERIC(20, 4) holds 16 integer digits: 1E+16 has 17 however it is written."""
    client_id = make_client(host)
    with pytest.raises(Exception, match="too large for this column"):
        with host.transaction() as s:
            invoice = host.invoices.create(s, client_id=client_id, items=[NewItem("x", Decimal("1.00"))])
            invoice.credit = amount
    with host.sessions() as s:
        assert s.scalars(select(Invoice)).all() == []  # nothing half-written


@pytest.mark.parametrize(("amount", "code", "expected"), [
    (Decimal("2.345"), "USD", Decimal("2.35")),
    (Decimal("2.344"), "USD", Decimal("2.34")),
    (Decimal("-2.345"), "USD", Decimal("-2.35")),
    (Decimal("0.005"), "EUR", Decimal("0.01")),
    (Decimal("1234.5"), "JPY", Decimal("1235")),
    (Decimal("1.0005"), "BHD", Decimal("1.001")),
])
def test_round_money_half_up_to_minor_unit(amount, code, expected):
    assert round_money(amount, code) == expected


@pytest.mark.parametrize("text", ["0.00105", "-1", "abc", "1e3", "", " ", "1.2.3", "NaN", "Infinity", "--1"])
def test_parse_decimal_refuses_with_the_field_named(text):
    with pytest.raises(ValueError, match="^USD price: "):
        parse_decimal(text, places=4, field="USD price")


def test_parse_decimal_accepts_four_places():
    assert parse_decimal(" 0.0010 ", places=4, field="p") == Decimal("0.0010")


def test_invoice_amounts_are_validated_and_totals_exact(host):
    client_id = make_client(host)
    with pytest.raises(InvoiceError, match=r"items\[1\].amount"):
        host.invoices.create_invoice(client_id=client_id, items=[NewItem("x", 1.1)])  # type: ignore[arg-type]
    with pytest.raises(InvoiceError, match="more than 2 decimal places"):
        host.invoices.create_invoice(client_id=client_id, items=[NewItem("x", Decimal("1.005"))])
    invoice_id = host.invoices.create_invoice(
        client_id=client_id, items=[NewItem("a", Decimal("0.10")), NewItem("b", Decimal("0.20"))])
    assert host.invoices.get(invoice_id).total == Decimal("0.30")
