"""The one formatting layer: Babel-backed filters, the same on every template environment."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

import solusio_addon.plugin
from hostsim import formatting
from hostsim.web import create_app


@pytest.mark.parametrize(("amount", "code", "shown"), [
    (Decimal("1234.5"), "USD", "$1,234.50"),
    (Decimal("9"), "EUR", "€9.00"),
    (Decimal("0.5"), "GBP", "£0.50"),
    (Decimal("1500"), "JPY", "¥1,500"),
    (Decimal("2.5"), "JPY", "¥3"),  # the minor unit, HALF_UP
])
def test_money_has_the_symbol_and_the_currency_precision(amount, code, shown):
    assert formatting.money(amount, code) == shown


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        formatting.money(0.1, "USD")


@pytest.mark.parametrize(("amount", "code", "shown"), [
    (Decimal("0.0125"), "USD", "$0.0125"),
    (Decimal("0.5"), "USD", "$0.5000"),
    (Decimal("0.01"), "EUR", "€0.0100"),
    (Decimal("0.012"), "GBP", "£0.0120"),
    (Decimal("1.5"), "JPY", "¥1.50"),
])
def test_unit_prices_keep_the_same_precision_in_every_currency(amount, code, shown):
    assert formatting.unit_price(amount, code) == shown


def test_numbers_have_thousands_separators():
    assert formatting.number(10000) == "10,000"
    assert formatting.number(Decimal("1234567.5")) == "1,234,567.5"
    assert formatting.number(10000, "de_DE") == "10.000"


def test_one_date_style_and_never_iso():
    assert formatting.date(dt.date(2026, 7, 1)) == "Jul 1, 2026"
    assert formatting.date(dt.datetime(2026, 7, 1, 23, 30)) == "Jul 1, 2026"
    moment = dt.datetime(2026, 7, 1, 8, 0, 1, tzinfo=dt.timezone.utc)
    assert formatting.datetime(moment) == "Jul 1, 2026, 08:00 UTC"
    assert formatting.datetime(moment, seconds=True) == "Jul 1, 2026, 08:00:01 UTC"
    # An aware time elsewhere is shown in UTC, as the naive ones the database holds are.
    berlin = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert formatting.datetime(berlin) == "Jul 1, 2026, 08:00 UTC"
    assert formatting.date(None) == formatting.datetime(None) == ""


def test_plural_follows_the_locale_rules():
    assert formatting.plural(1, "unpaid invoice", "unpaid invoices") == "1 unpaid invoice"
    assert formatting.plural(2, "unpaid invoice", "unpaid invoices") == "2 unpaid invoices"
    assert formatting.plural(0, "unpaid invoice", "unpaid invoices") == "0 unpaid invoices"
    assert formatting.plural(10000, "token", "tokens") == "10,000 tokens"


SAMPLE = ("{{ 10000|number }} {{ d|date }} {{ t|datetime }} {{ a|money('EUR') }} {{ p|unit_price('JPY') }} "
          "{{ 1|plural('invoice', 'invoices') }} {{ money(a, 'GBP') }}")
EXPECTED = "10,000 Jul 1, 2026 Jul 1, 2026, 08:00 UTC €2.50 ¥0.50 1 invoice £2.50"


def test_the_theme_and_email_environment_has_the_filters(host):
    template = host.templates.env.from_string(SAMPLE)
    assert template.render(d=dt.date(2026, 7, 1), t=dt.datetime(2026, 7, 1, 8, 0, 1), a=Decimal("2.5"),
                           p=Decimal("0.5")) == EXPECTED


def test_the_web_environment_has_the_same_filters(host):
    app = create_app(host)
    template = app.jinja_env.from_string(SAMPLE)
    assert template.render(d=dt.date(2026, 7, 1), t=dt.datetime(2026, 7, 1, 8, 0, 1), a=Decimal("2.5"),
                           p=Decimal("0.5")) == EXPECTED


def test_every_email_greets_then_starts_a_sentence(make_host):
    """Each email template, host's and addon's: "Hello Ada," then a capitalised sentence, and
    dates in the one style."""
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    repo = Path(__file__).resolve().parents[2]
    invoice = SimpleNamespace(id=7, date=dt.date(2026, 7, 1), due_date=dt.date(2026, 7, 15), total=Decimal("5"),
                              items=[SimpleNamespace(description="VM usage", amount=Decimal("5"))],
                              payment_method="Bank Transfer")
    context = {"client": SimpleNamespace(first_name="Ada"), "first_name": "Ada", "invoice": invoice,
               "money": lambda amount: formatting.money(amount, "USD"), "today": dt.date(2026, 7, 20),
               "base_url": "https://example.com", "company": "Acme", "company_name": "Acme", "invoice_id": 7,
               "total": "$5.00", "due_date": dt.date(2026, 7, 15), "day": dt.date(2026, 7, 22),
               "link": "https://example.com/x", "login_link": "https://example.com/login"}
    names = [f.name for f in (repo / "templates/default/emails").glob("*.txt")]
    addon_root = repo / "solusio_addon"
    addon_names = [str(f.relative_to(addon_root / "templates")) for f in (addon_root / "templates").rglob("emails/*.txt")]
    rendered = {n: host.templates.render(f"emails/{n}", **context) for n in names}
    rendered |= {n: host.templates.render_addon("solusio", n, **context) for n in addon_names}
    assert len(rendered) >= 12
    for name, body in rendered.items():
        first, blank, sentence = body.splitlines()[:3]
        assert first == "Hello Ada," and blank == "" and sentence[:1].isupper(), (name, body)
        assert not re.search(r"\d{4}-\d{2}-\d{2}", body), (name, body)
