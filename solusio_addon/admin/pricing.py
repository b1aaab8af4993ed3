"""Post-Pay token pricing: the price of ONE token in each active host currency.

Up to four decimal places, never negative. A save is all-or-nothing: every submitted price is
checked before any is written, and all are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hostsim.addon_api import Client, Currency, cached_read, parse_decimal
from solusio_addon.db.models import TokenPrice

if TYPE_CHECKING:
    from hostsim.addon_api import Host

PLACES = 4
QUANTUM = Decimal(1).scaleb(-PLACES)
MAX_PRICE = Decimal("1000000")  # one token never costs a million of anything
MAX_INPUT_LENGTH = 32


class PricingError(ValueError):
    """Prices that cannot be saved; ``errors`` maps a currency code to a sentence."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class CurrencyPrice:
    currency_id: int
    code: str
    prefix: str
    suffix: str
    is_default: bool
    price: Decimal | None

    @property
    def field(self) -> str:
        return field_name(self.code)

    @property
    def shown(self) -> str:
        return "" if self.price is None else format_price(self.price)


def field_name(code: str) -> str:
    """The web form field of a currency's price."""
    return f"price_{code}"


def format_price(price: Decimal) -> str:
    """Always four decimal places: ``0.0010``."""
    return str(price.quantize(QUANTUM))


def label(code: str) -> str:
    return f"Token price ({code})"


def active_prices(host: "Host") -> list[CurrencyPrice]:
    """Every ACTIVE currency with its token price (None when not set yet), default first. Every
    client page asks (is post-pay enabled?): kept between requests until a price or a currency
    changes in any process."""
    return list(cached_read(host, "solusio.active_prices", lambda: _read_active_prices(host)))


def _read_active_prices(host: "Host") -> tuple[CurrencyPrice, ...]:
    with host.engine.connect() as conn:
        prices = {cid: price for cid, price in conn.execute(select(TokenPrice.currency_id, TokenPrice.price))}
        currencies = list(conn.execute(select(Currency.id, Currency.code, Currency.prefix, Currency.suffix,
                                              Currency.is_default).where(Currency.active.is_(True))))
    currencies.sort(key=lambda c: (not c.is_default, c.code))
    return tuple(CurrencyPrice(c.id, c.code, c.prefix, c.suffix, bool(c.is_default), prices.get(c.id))
                 for c in currencies)


def unpriced_codes(rows: list[CurrencyPrice]) -> list[str]:
    return [r.code for r in rows if r.price is None]


def missing_price_warning(codes: list[str]) -> str:
    if not codes:
        return ""
    listed = ", ".join(codes)
    return (f"No Post-Pay token price is set for {listed}: clients whose currency is {listed} cannot be invoiced "
            "for their SolusIO usage until a price is set (Settings > Post-Pay Token Pricing).")


def parse_price(raw: object, code: str) -> Decimal:
    """One typed price; ValueError names the field."""
    text = raw if isinstance(raw, str) else ""
    if len(text.strip()) > MAX_INPUT_LENGTH:
        raise ValueError(f"{label(code)}: too long")
    value = parse_decimal(text, places=PLACES, field=label(code))
    if value > MAX_PRICE:
        raise ValueError(f"{label(code)}: must be below {MAX_PRICE}")
    return abs(value).quantize(QUANTUM)  # abs: "-0" is zero


def validate_prices(submitted: Mapping[str, str], rows: list[CurrencyPrice], *,
                    require_all: bool) -> tuple[dict[int, Decimal], dict[str, str]]:
    """Check prices keyed by currency CODE. ``require_all``: every active currency must have one
    (the web form); otherwise only the given ones change (the CLI). Unknown codes are errors.

    Returns (currency id -> price, {} ) or ({}, {code: message}).
    """
    by_code = {r.code: r for r in rows}
    errors: dict[str, str] = {}
    parsed: dict[int, Decimal] = {}
    for code, raw in submitted.items():
        key = code.strip().upper()
        row = by_code.get(key)
        if row is None:
            errors[code] = f"{code}: not an active currency (active: {', '.join(by_code) or 'none'})"
            continue
        try:
            parsed[row.currency_id] = parse_price(raw, row.code)
        except ValueError as exc:
            errors[row.code] = str(exc)
    if require_all:
        for row in rows:
            if row.code not in submitted and row.code not in errors:
                errors[row.code] = f"{label(row.code)}: a value is required"
    if errors:
        return {}, errors
    if not parsed:
        return {}, {"": "give at least one price, e.g. USD=0.0010"}
    return parsed, {}


def save_prices(host: "Host", prices: Mapping[int, Decimal], *, actor: str = "System") -> list[str]:
    """Write all prices in one transaction; returns the codes whose price changed."""
    now = host.clock.now()
    changed: list[str] = []
    with host.transaction() as s:
        currencies = {c.id: c for c in s.scalars(select(Currency).where(Currency.id.in_(list(prices))))}
        missing = [cid for cid in prices if cid not in currencies or not currencies[cid].active]
        if missing:
            raise PricingError({"": "a currency was removed or deactivated meanwhile; reload the page"})
        for currency_id, price in prices.items():
            row = s.get(TokenPrice, currency_id)
            old = None if row is None else row.price
            if old is not None and old == price:
                continue
            if row is None:
                s.add(TokenPrice(currency_id=currency_id, price=price, updated_at=now))
            else:
                row.price, row.updated_at = price, now
            code = currencies[currency_id].code
            changed.append(code)
            sentence = (f"SolusIO: token price for {code} set to {format_price(price)}" if old is None else
                        f"SolusIO: token price for {code} changed from {format_price(old)} to {format_price(price)}")
            host.activity.log(sentence, actor=actor, session=s)
    return changed


@dataclass(frozen=True)
class ClientQuote:
    """What the billing-integration ``prices`` call answers for one client."""

    client_id: int
    code: str
    prefix: str
    suffix: str
    price: Decimal | None


def quote_for_client(session: Session, client_id: int) -> ClientQuote | None:
    """The client's currency and its token price; None when there is no such client."""
    row = session.execute(
        select(Client.id, Currency.code, Currency.prefix, Currency.suffix, TokenPrice.price)
        .join(Currency, Currency.id == Client.currency_id)
        .outerjoin(TokenPrice, TokenPrice.currency_id == Currency.id)
        .where(Client.id == client_id)).first()
    if row is None:
        return None
    return ClientQuote(row[0], row[1], row[2], row[3], row[4])
