"""A visitor who viewed the landing page in a currency signs up in it: the signup form shows the
currency (preselected from the prices viewed), lets them change it, and the account gets it."""

from __future__ import annotations

import re

from sqlalchemy import select

from hostsim.db.models import Currency
from solusio_addon.db.models import Signup
from tests.addon_client.conftest import LANDING, client_row, complete, csrf_of, last_link, signup_form


def selected_currency(html: str) -> str:
    select_html = html[html.index('name="currency"'):]
    select_html = select_html[:select_html.index("</select>")]
    match = re.search(r'<option value="([A-Z]{3})" selected>', select_html)
    assert match, select_html
    return match.group(1)


def sign_up_as_the_browser_would(anon, landing: str, **overrides: str):
    page = anon.get(landing).get_data(as_text=True)
    form = {**signup_form(), "currency": selected_currency(page), **overrides, "csrf_token": csrf_of(page)}
    return anon.post("/modules/addons/solusio/signup", data=form, follow_redirects=True)


def account_currency(host, email: str) -> str:
    client = client_row(host, email)
    assert client is not None
    with host.sessions() as s:
        return s.scalars(select(Currency.code).where(Currency.id == client.currency_id)).one()


def test_landing_in_eur_signs_up_a_eur_account(anon, addon_host):
    page = anon.get(LANDING + "&currency=EUR").get_data(as_text=True)
    assert "Prices in EUR" in page and selected_currency(page) == "EUR"
    assert '<option value="USD">USD</option>' in page  # the visitor may change it
    assert selected_currency(anon.get(LANDING).get_data(as_text=True)) == "USD"  # the default otherwise
    response = sign_up_as_the_browser_would(anon, LANDING + "&currency=EUR")
    assert response.status_code == 200, response.get_data(as_text=True)
    with addon_host.sessions() as s:
        assert s.scalars(select(Signup.currency_code)).one() == "EUR"
    assert complete(anon, last_link(addon_host, "grace@example.com")).status_code == 200
    assert account_currency(addon_host, "grace@example.com") == "EUR"


def test_the_visitor_changes_the_currency_before_signing_up(anon, addon_host):
    response = sign_up_as_the_browser_would(anon, LANDING + "&currency=EUR", currency="USD")
    assert response.status_code == 200
    complete(anon, last_link(addon_host, "grace@example.com"))
    assert account_currency(addon_host, "grace@example.com") == "USD"


def test_an_unknown_or_inactive_currency_is_refused_and_nothing_is_stored(anon, addon_host):
    with addon_host.transaction() as s:
        s.scalars(select(Currency).where(Currency.code == "EUR")).one().active = False
    try:
        for code in ("XXX", "EUR", "usd1"):
            response = sign_up_as_the_browser_would(anon, LANDING, currency=code)
            html = response.get_data(as_text=True)
            assert response.history[0].status_code == 303 and "Choose a currency from the list." in html, code
            assert 'value="grace@example.com"' in html  # what was typed comes back
        with addon_host.sessions() as s:
            assert s.scalars(select(Signup)).all() == []
        page = anon.get(LANDING).get_data(as_text=True)
        assert '<option value="EUR"' not in page
    finally:
        with addon_host.transaction() as s:
            s.scalars(select(Currency).where(Currency.code == "EUR")).one().active = True
