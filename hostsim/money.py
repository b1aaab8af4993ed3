"""Exact money: Decimal only, rounded once per line to the currency's minor unit, HALF_UP."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision


def minor_unit(code: str) -> int:
    """Digits after the decimal point for an ISO 4217 code (JPY 0, USD 2, BHD 3)."""
    try:
        return get_currency_precision(code.upper())
    except Exception:  # unknown code: the common case
        return 2


def round_money(amount: Decimal, code: str) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError("money must be a Decimal, never a float")
    return amount.quantize(Decimal(1).scaleb(-minor_unit(code)), rounding=ROUND_HALF_UP)


def parse_decimal(text: str, *, places: int, field: str, allow_negative: bool = False) -> Decimal:
    """Parse a human-typed decimal with at most ``places`` decimals; ValueError names ``field``."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError(f"{field}: a value is required")
    if any(c not in "0123456789.-" for c in raw) or raw.count(".") > 1 or "-" in raw[1:]:
        raise ValueError(f"{field}: {raw!r} is not a plain decimal number")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{field}: {raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{field}: {raw!r} is not a number")
    if value < 0 and not allow_negative:
        raise ValueError(f"{field}: must not be negative")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"{field}: at most {places} decimal places")
    return value


@lru_cache(maxsize=32)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=8192)
def format_money(amount: Decimal, code: str, locale: str = "en_US", *, exact: bool = False) -> str:
    """``amount`` in ``code`` with its symbol. ``exact``: keep digits beyond the minor unit (a
    unit price of 0.0125), never fewer than the currency has."""
    # Babel's formatting costs tens of microseconds a call and a month-end run formats every
    # line of thousands of invoices, where the same amounts recur (plans, monthly caps): a pure
    # function, so its results are kept. A parsed Locale, not its name, for the misses.
    return format_currency(amount, code.upper(), locale=_locale(locale), decimal_quantization=not exact)
