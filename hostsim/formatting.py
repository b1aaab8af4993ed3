"""The one formatting layer: money, numbers, dates, times and plurals for every template.

Values are formatted in the *viewer's* locale: the web application sets it for each request from
the browser's ``Accept-Language`` (:func:`negotiate`, :func:`viewing_as`); everything else (emails,
cron, invoice lines, which are stored) uses :data:`DEFAULT_LOCALE`. Only the filters follow the
viewer: :func:`hostsim.money.format_money`, which writes stored text, takes its locale explicitly.

The same Jinja filters are installed on every environment the host renders with (the web
application's and the theme/email service's, which also renders addon templates), so a page, an
email and an addon template show a value the same way. No Flask here: emails are rendered by cron.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal, parse_pattern

from hostsim.money import format_money, minor_unit, round_money

#: The locale of everything no viewer reads in their own (emails, cron), and of a browser that
#: names no locale Babel knows.
DEFAULT_LOCALE = "en_US"
_viewer: ContextVar[str] = ContextVar("viewer_locale", default=DEFAULT_LOCALE)
#: Extra digits a per-unit price (per hour, per token) keeps beyond its currency's minor unit, so
#: $0.0125 and €0.0125 show the same precision and ¥1.25 keeps its fraction.
UNIT_PRICE_EXTRA_DIGITS = 2


def negotiate(tags: Iterable[str]) -> str:
    """The first of the browser's language tags (best first, ``en-GB``) that Babel knows, as a
    locale name (``en_GB``); :data:`DEFAULT_LOCALE` when none is."""
    for tag in tags:
        if not tag or tag == "*" or len(tag) > 35:
            continue
        try:
            return str(Locale.parse(tag, sep="-"))
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return DEFAULT_LOCALE


def viewer_locale() -> str:
    """The locale the filters use now."""
    return _viewer.get()


def begin_viewing(locale: str) -> Any:
    """Format in ``locale`` until :func:`end_viewing` with the token returned (a web request's
    hooks); :func:`viewing_as` is the same as a block."""
    return _viewer.set(locale)


def end_viewing(token: Any) -> None:
    _viewer.reset(token)


@contextmanager
def viewing_as(locale: str) -> Iterator[None]:
    """Format in ``locale`` within the block (a web request; an email rendered during one)."""
    token = _viewer.set(locale)
    try:
        yield
    finally:
        _viewer.reset(token)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money must be a Decimal, never a float")
    return Decimal(str(value))


def money(amount: Any, currency_code: str, locale: str | None = None, *, exact: bool = False) -> str:
    """``amount`` with its currency's symbol and minor unit: ``$1,234.50``, ``€9.00``, ``¥500``
    (``exact``: keep digits beyond the minor unit, as a unit price of 0.0125 has)."""
    if amount is None:
        return ""
    value = _decimal(amount)
    # Rounded here, HALF_UP as every line is: Babel alone would round half to even.
    return format_money(value if exact else round_money(value, currency_code), currency_code,
                        locale or _viewer.get(), exact=exact)


def unit_price(amount: Any, currency_code: str, locale: str | None = None) -> str:
    """A per-hour or per-token price, with the same number of digits in every currency (the
    currency's minor unit plus two): ``$0.0125``, ``$0.5000``, ``¥1.25``."""
    if amount is None:
        return ""
    places = minor_unit(currency_code) + UNIT_PRICE_EXTRA_DIGITS
    value = _decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _unit_price(value, currency_code.upper(), places, locale or _viewer.get())


@lru_cache(maxsize=4096)
def _unit_price(value: Decimal, code: str, places: int, locale: str) -> str:
    # A pure function of few distinct values (a landing page shows the same plan prices to every
    # visitor), and parsing the pattern and the locale took most of a landing page's formatting.
    pattern = parse_pattern(_locale(locale).currency_formats["standard"].pattern)
    pattern.frac_prec = (places, places)
    return pattern.apply(value, _locale(locale), currency=code, currency_digits=False)


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def number(value: Any, locale: str | None = None) -> str:
    """A count or quantity with thousands separators: ``10,000``."""
    if value is None:
        return ""
    return format_decimal(_decimal(value) if not isinstance(value, int) else value, locale=locale or _viewer.get())


def date(value: dt.date | dt.datetime | None, locale: str | None = None) -> str:
    """One date style everywhere: ``Jul 1, 2026``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _utc(value).date()
    return _medium_date(value, locale or _viewer.get())


@lru_cache(maxsize=4096)
def _medium_date(value: dt.date, locale: str) -> str:
    # A pure function of few distinct values (a month-end's thousands of emails name the same
    # two dates), and Babel takes tens of microseconds a call.
    return _babel_date(value, "medium", locale=locale)


def datetime(value: dt.datetime | None, locale: str | None = None, *, seconds: bool = False) -> str:
    """A moment in UTC (how the host stores them): ``Jul 1, 2026, 08:00 UTC``."""
    if value is None:
        return ""
    locale = locale or _viewer.get()
    moment = _utc(value)
    clock = _babel_time(moment.time(), "HH:mm:ss" if seconds else "HH:mm", locale=locale)
    return f"{_medium_date(moment.date(), locale)}, {clock} UTC"


def _utc(value: dt.datetime) -> dt.datetime:
    # Naive datetimes are UTC in this host's database; aware ones are converted.
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def plural(count: int, singular: str, plural_form: str, locale: str | None = None) -> str:
    """``count`` and the noun in the form the locale's plural rules ask for (CLDR, as
    ``ngettext`` does): ``1 unpaid invoice``, ``2 unpaid invoices``, ``10,000 tokens``."""
    locale = locale or _viewer.get()
    form = _locale(locale).plural_form(count)
    return f"{number(count, locale)} {singular if form == 'one' else plural_form}"


FILTERS = {"money": money, "unit_price": unit_price, "number": number, "date": date,
           "datetime": datetime, "plural": plural}


def install(env: Any) -> None:
    """Register the filters on a Jinja environment (and ``money``/``plural`` as functions too,
    as templates have long called ``money(amount, code)``)."""
    env.filters.update(FILTERS)
    env.globals.setdefault("money", money)
    env.globals.setdefault("plural", plural)


__all__ = ["DEFAULT_LOCALE", "FILTERS", "date", "datetime", "install", "money", "negotiate", "number", "plural",
           "unit_price", "viewer_locale", "viewing_as", "begin_viewing", "end_viewing"]
